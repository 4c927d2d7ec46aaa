// This file holds the nginx configuration of the layout described in
// doc.go, and Nginx, which starts it.

package realpeers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"text/template"
)

// Nginx starts nginx for t on a free port of 127.0.0.1 and stops it in
// t.Cleanup. If nginx is not installed it calls t.Skip (t.Fatal when
// REALPEERS_REQUIRE is set); if it is installed but does not start, t.Fatal
// with its error log.
//
// nginx runs in the foreground with one worker process; when the tests run
// as root the worker runs as www-data (or nobody), like Apache's.
func Nginx(t testing.TB) *Server {
	t.Helper()
	return start(t, nginxFlavor())
}

// nginxFlavor describes how to find, configure and start nginx.
func nginxFlavor() flavor {
	return flavor{
		name:      "nginx",
		find:      func() string { return findBinary([]string{"nginx"}, sbinDirs) },
		missing:   "nginx not installed: apt-get install nginx (CI installs it)",
		configure: configureNginx,
	}
}

// configureNginx writes base/conf/nginx.conf for port and returns nginx's
// arguments: -e makes even start-up errors go to the error log.
func configureNginx(s *Server, bin string, p ports) ([]string, error) {
	w, err := worker()
	if err != nil {
		return nil, err
	}
	data := nginxData{
		Base:     s.base,
		Files:    s.DocRoot,
		DAV:      s.DAVRoot,
		Internal: filepath.Join(s.base, "internal"),
		ErrorLog: s.ErrorLog,
		Port:     p.plain,
		TLSPort:  p.tls,
		TLSDir:   filepath.Join(s.base, "conf", "tls"),

		ContentProfile: ContentProfile, L3Allow: L3Allow, FilesListLink: FilesListLink,
		HomeProfile: HomeProfile, HomeEntryLink: HomeEntryLink, HomeNextLink: HomeNextLink,
		ProblemType: ProblemType, Problem409Body: Problem409Body, Problem503Body: Problem503Body,
		SmallLimit: SmallLimit, SlowRate: SlowRate,
	}
	if w != nil {
		data.User = w.user + " " + w.group
	}
	var types strings.Builder
	for _, m := range mimeTypes {
		fmt.Fprintf(&types, "\t\t%s %s;\n", m.typ, m.exts)
	}
	data.Types = types.String()

	var b strings.Builder
	if err := nginxConf.Execute(&b, data); err != nil {
		return nil, err
	}
	conf := filepath.Join(s.base, "conf", "nginx.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	args := []string{"-p", s.base + "/", "-c", conf, "-g", "daemon off;"}
	if nginxHasE(bin) {
		args = append([]string{"-e", s.ErrorLog}, args...)
	}
	return args, nil
}

// nginxHasECache holds nginxHasE's answer per binary.
var nginxHasECache sync.Map // bin -> bool

// nginxHasE reports whether bin knows -e (nginx 1.19.5 and later; Ubuntu
// 22.04 ships 1.18). Without it, start-up errors go to nginx's compiled-in
// error log, or to stderr, which start captures too.
func nginxHasE(bin string) bool {
	if v, ok := nginxHasECache.Load(bin); ok {
		return v.(bool)
	}
	out, _ := exec.Command(bin, "-v").CombinedOutput() // "nginx version: nginx/1.22.1"
	has := false
	if _, v, ok := strings.Cut(string(out), "nginx/"); ok {
		var major, minor, patch int
		fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch)
		has = major > 1 || major == 1 && (minor > 19 || minor == 19 && patch >= 5)
	}
	nginxHasECache.Store(bin, has)
	return has
}

type nginxData struct {
	User                                     string
	Base, Files, DAV, Internal, ErrorLog     string
	Port, TLSPort                            int
	TLSDir                                   string
	Types                                    string
	ContentProfile, L3Allow, FilesListLink   string
	HomeProfile, HomeEntryLink, HomeNextLink string
	ProblemType                              string
	Problem409Body, Problem503Body           string
	SmallLimit, SlowRate                     int
}

// nginxConf is the nginx configuration. Notes:
//   - add_header ... always, so the Level 3 headers also go out on 304, 412
//     and errors; a location with add_header inherits none from above.
//   - absolute_redirect off: Location is sent as written (/files/NAME).
//   - the redirects match $request_uri, so NAME keeps its percent-encoding
//     and the query string goes along.
//   - client_max_body_size 0 (no limit) except on /small/.
//   - nginx sends its 413 from the request headers (Content-Length), before
//     reading the body, and so without 100 Continue.
//   - Two server blocks with the same locations: clear text on Port, TLS
//     with h2 and http/1.1 (ALPN) on TLSPort. nginx 1.22 turns h2 on with
//     "listen ... http2" (the "http2" directive came in 1.25.1).
var nginxConf = template.Must(template.New("nginx.conf").Parse(`# realpeers nginx instance
{{with .User}}user {{.}};
{{end -}}
worker_processes 1;
pid "{{.Base}}/run/nginx.pid";
error_log "{{.ErrorLog}}" notice;

events {
	worker_connections 512;
}

http {
	access_log "{{.Base}}/logs/access.log";
	client_body_temp_path "{{.Base}}/tmp/body";
	proxy_temp_path "{{.Base}}/tmp/proxy";
	fastcgi_temp_path "{{.Base}}/tmp/fastcgi";
	uwsgi_temp_path "{{.Base}}/tmp/uwsgi";
	scgi_temp_path "{{.Base}}/tmp/scgi";

	types {
{{.Types}}	}
	default_type application/octet-stream;

	sendfile on;
	keepalive_timeout 30s;
	keepalive_requests 10000;
	absolute_redirect off;

	server {
		listen 127.0.0.1:{{.Port}};
{{template "locations" .}}	}

	server {
		listen 127.0.0.1:{{.TLSPort}} ssl http2;
		ssl_certificate "{{.TLSDir}}/cert.pem";
		ssl_certificate_key "{{.TLSDir}}/key.pem";
		ssl_protocols TLSv1.2 TLSv1.3;
{{template "locations" .}}	}
}
{{define "locations"}}		server_name 127.0.0.1;
		client_max_body_size 0;
		root "{{.Base}}/empty";

		location = /_realpeers/id {
			default_type text/plain;
			alias "{{.Internal}}/id.txt";
		}

		location /files/ {
			alias "{{.Files}}/";
		}

		location = /l3/home {
			default_type application/json;
			alias "{{.Internal}}/home.json";
			add_header profile '{{.HomeProfile}}' always;
			add_header allow '{{.L3Allow}}' always;
			add_header link '{{.HomeEntryLink}}' always;
			add_header link '{{.HomeNextLink}}' always;
		}

		location /l3/ {
			alias "{{.Files}}/";
			add_header profile '{{.ContentProfile}}' always;
			add_header allow '{{.L3Allow}}' always;
			add_header link '{{.FilesListLink}}' always;
		}

		location /slow/ {
			alias "{{.Files}}/";
			limit_rate {{.SlowRate}};
		}

		location /dav/ {
			alias "{{.DAV}}/";
			dav_methods PUT DELETE MKCOL COPY MOVE;
			create_full_put_path on;
			dav_access user:rw group:rw all:r;
		}

		location /small/ {
			alias "{{.DAV}}/";
			dav_methods PUT DELETE MKCOL COPY MOVE;
			create_full_put_path on;
			dav_access user:rw group:rw all:r;
			client_max_body_size {{.SmallLimit}};
		}

		location /redirect307/ {
			if ($request_uri ~ "^/redirect307/(.*)$") {
				return 307 /files/$1;
			}
		}

		location /redirect308/ {
			if ($request_uri ~ "^/redirect308/(.*)$") {
				return 308 /files/$1;
			}
		}

		location /dav307/ {
			if ($request_uri ~ "^/dav307/(.*)$") {
				return 307 /dav/$1;
			}
		}

		location /dav308/ {
			if ($request_uri ~ "^/dav308/(.*)$") {
				return 308 /dav/$1;
			}
		}

		location = /problem/409 {
			default_type {{.ProblemType}};
			return 409 '{{.Problem409Body}}';
		}

		location = /problem/503 {
			default_type {{.ProblemType}};
			add_header Retry-After 1 always;
			return 503 '{{.Problem503Body}}';
		}

		location / {
			return 404;
		}
{{end}}`))
