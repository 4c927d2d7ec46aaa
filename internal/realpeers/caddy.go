// This file holds the Caddy configuration of the layout described in doc.go
// (a JSON document built from Go values), the WebDAV backend Caddy proxies
// to, and Caddy, which starts it.

package realpeers

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/webdav"
)

// Caddy starts Caddy 2 for t on free ports of 127.0.0.1 and stops it in
// t.Cleanup. If it is not installed it calls t.Skip (t.Fatal when
// REALPEERS_REQUIRE is set); if it is installed but does not start, t.Fatal
// with its log.
//
// Caddy is a Go server: its HTTP/1.1 and HTTP/2 are net/http's, so it shows
// how Go servers treat expect, 100 Continue and h2 streams. It runs with its
// admin endpoint off, automatic HTTPS off and the run's certificate, so
// parallel instances share nothing.
//
// Caddy 2.6 has no WebDAV handler (that is the caddy-webdav plugin, built on
// golang.org/x/net/webdav) and no rate limit without plugins. So /dav/ and
// /small/ are Caddy's reverse_proxy to golang.org/x/net/webdav served on a
// loopback port by the test process (Caddy answers the client, and sends
// the 413 of /small/ itself when Content-Length is too large), and /slow/
// answers 404: tests of throttled downloads skip Caddy.
func Caddy(t testing.TB) *Server {
	t.Helper()
	return start(t, caddyFlavor())
}

// caddyFlavor describes how to find, configure and start Caddy.
func caddyFlavor() flavor {
	return flavor{
		name:      "caddy",
		find:      func() string { return findBinary([]string{"caddy"}, sbinDirs) },
		missing:   "caddy not installed: apt-get install caddy (CI installs it)",
		prepare:   startDAVBackend,
		configure: configureCaddy,
		env: func(s *Server) []string {
			// Caddy keeps state under these; keep it inside the instance.
			home := filepath.Join(s.base, "tmp", "caddy")
			return []string{"HOME=" + home, "XDG_DATA_HOME=" + home, "XDG_CONFIG_HOME=" + home}
		},
	}
}

// startDAVBackend serves golang.org/x/net/webdav on DAVRoot at /dav/ and
// /small/ on a loopback port for Caddy to proxy to, until t ends. /small/
// reads at most SmallLimit bytes of a body and answers 413 past that (the
// Content-Length case never gets here: Caddy answers it).
//
// The backend reads every request body to its end before it answers, as
// nginx's and Apache's lingering close lets them: a Go backend that answers
// an upload early (409 for a missing parent, 413) and closes makes Caddy
// 2.6 reset the client's connection while the body is still coming, and
// the client loses the answer in the reset (seen as "connection reset by
// peer" on a preflighted 3 MiB PUT). That is the proxy set-up's quirk, not
// what the layout is for.
func startDAVBackend(t testing.TB, s *Server) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	dav := &webdav.Handler{Prefix: "/dav", FileSystem: webdav.Dir(s.DAVRoot), LockSystem: webdav.NewMemLS()}
	small := &webdav.Handler{Prefix: "/small", FileSystem: dav.FileSystem, LockSystem: dav.LockSystem}
	mux := http.NewServeMux()
	mux.Handle("/dav/", dav)
	mux.HandleFunc("/small/", func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(io.LimitReader(r.Body, SmallLimit+1))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if len(body) > SmallLimit {
				http.Error(w, "Request Entity Too Large", http.StatusRequestEntityTooLarge)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		small.ServeHTTP(w, r)
	})
	drain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(&drainingWriter{ResponseWriter: w, body: r.Body}, r)
	})
	srv := &http.Server{Handler: drain, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l) //nolint:errcheck // ends with ErrServerClosed at Close
	t.Cleanup(func() { _ = srv.Close() })
	s.backend = l.Addr().String()
	return nil
}

// maxDrain bounds what drainingWriter reads of a body nobody wants.
const maxDrain = 256 << 20

// drainingWriter reads the rest of the request body before the response
// goes out (see startDAVBackend).
type drainingWriter struct {
	http.ResponseWriter
	body    io.Reader
	drained bool
}

func (d *drainingWriter) drain() {
	if !d.drained {
		d.drained = true
		_, _ = io.Copy(io.Discard, io.LimitReader(d.body, maxDrain))
	}
}

func (d *drainingWriter) WriteHeader(code int) {
	d.drain()
	d.ResponseWriter.WriteHeader(code)
}

func (d *drainingWriter) Write(b []byte) (int, error) {
	d.drain()
	return d.ResponseWriter.Write(b)
}

// configureCaddy writes base/conf/caddy.json for the ports and returns
// Caddy's arguments.
func configureCaddy(s *Server, bin string, p ports) ([]string, error) {
	conf, err := json.MarshalIndent(caddyConfig(s, p), "", "\t")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(s.base, "conf", "caddy.json")
	if err := os.WriteFile(path, conf, 0o644); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(s.base, "tmp", "caddy"), 0o755); err != nil {
		return nil, err
	}
	return []string{"run", "--config", path}, nil
}

// object is a JSON object of Caddy's configuration.
type object = map[string]any

// caddyConfig is the Caddy configuration of the layout. Notes:
//   - Two servers with the same routes: clear text (h1 only) on p.plain,
//     TLS (h2 and h1; not h3, which would listen on UDP) on p.tls.
//   - Routes are tried in order; each one that answers is terminal.
//   - Content types are set by the route before file_server, which keeps
//     a Content-Type it finds (by itself it would send text/plain with a
//     charset, and nothing at all for an unknown extension).
//   - Header values set by a "headers" handler without "deferred" stay on
//     every response the route gives: 304, 206, 404 and 405 too.
//   - Redirects use {http.request.uri}, the request target as sent, so
//     NAME keeps its percent-encoding and the query string goes along;
//     Location is relative, as nginx's.
//   - /small/ answers 413 itself when Content-Length says too much, before
//     any byte of the body is read (so without 100 Continue).
func caddyConfig(s *Server, p ports) object {
	internal := filepath.Join(s.base, "internal")
	tlsDir := filepath.Join(s.base, "conf", "tls")
	routes := caddyRoutes(s, internal)
	server := func(port int, protocols ...string) object {
		return object{
			"listen":              []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(port))},
			"protocols":           protocols,
			"routes":              routes,
			"automatic_https":     object{"disable": true},
			"logs":                object{"default_logger_name": "access"},
			"idle_timeout":        "30s",
			"read_header_timeout": "10s",
		}
	}
	tlsServer := server(p.tls, "h1", "h2")
	tlsServer["tls_connection_policies"] = []object{{
		"certificate_selection": object{"any_tag": []string{"realpeers"}},
		"default_sni":           "127.0.0.1",
		"protocol_min":          "tls1.2",
	}}
	return object{
		"admin": object{"disabled": true, "config": object{"persist": false}},
		"storage": object{
			"module": "file_system",
			"root":   filepath.Join(s.base, "tmp", "caddy"),
		},
		"logging": object{"logs": object{
			"default": object{
				"writer":  object{"output": "file", "filename": s.ErrorLog},
				"level":   "WARN",
				"exclude": []string{"http.log.access.access"},
			},
			"access": object{
				"writer":  object{"output": "file", "filename": filepath.Join(s.base, "logs", "access.log")},
				"encoder": object{"format": "json"},
				"include": []string{"http.log.access.access"},
			},
		}},
		"apps": object{
			"http": object{
				"grace_period": "100ms",
				"servers": object{
					"plain": server(p.plain, "h1"),
					"tls":   tlsServer,
				},
			},
			"tls": object{
				"certificates": object{"load_files": []object{{
					"certificate": filepath.Join(tlsDir, "cert.pem"),
					"key":         filepath.Join(tlsDir, "key.pem"),
					"tags":        []string{"realpeers"},
				}}},
			},
		},
	}
}

// caddyRoutes returns the routes the clear-text and the TLS server share.
func caddyRoutes(s *Server, internal string) []object {
	// setHeaders sets the header fields name, value, name, value...; a
	// name given twice gets two header lines ("set" would join the values
	// with commas into one).
	setHeaders := func(kv ...string) object {
		add := headerValues(kv)
		set := object{}
		for name, v := range add {
			if len(asStrings(v)) == 1 {
				set[name] = v
				delete(add, name)
			}
		}
		ops := object{"set": set}
		if len(add) > 0 {
			ops["add"] = add
		}
		return object{"handler": "headers", "response": ops}
	}
	files := func(root string) object { return object{"handler": "file_server", "root": root} }
	respond := func(status int, body string, kv ...string) object {
		h := object{"handler": "static_response", "status_code": status}
		if body != "" {
			h["body"] = body
		}
		if len(kv) > 0 {
			h["headers"] = headerValues(kv)
		}
		return h
	}
	route := func(match object, handlers ...object) object {
		r := object{"handle": handlers, "terminal": true}
		if match != nil {
			r["match"] = []object{match}
		}
		return r
	}
	path := func(p ...string) object { return object{"path": p} }
	strip := func(prefix string) object { return object{"handler": "rewrite", "strip_path_prefix": prefix} }
	rewrite := func(uri string) object { return object{"handler": "rewrite", "uri": uri} }
	// contentTypes is a subroute that sets the layout's content type from
	// the extension: the default first, the known ones over it.
	contentTypes := func() object {
		rs := []object{{"handle": []object{setHeaders("Content-Type", "application/octet-stream")}}}
		for _, m := range mimeTypes {
			var globs []string
			for _, ext := range strings.Fields(m.exts) {
				globs = append(globs, "*."+ext)
			}
			rs = append(rs, object{"match": []object{path(globs...)}, "handle": []object{setHeaders("Content-Type", m.typ)}})
		}
		return object{"handler": "subroute", "routes": rs}
	}
	redirect := func(from string, status int, to string) object {
		return route(
			object{"path": []string{from + "*"}, "vars_regexp": object{"{http.request.uri}": object{"name": "target", "pattern": "^" + from + "(.*)$"}}},
			respond(status, "", "Location", to+"{http.regexp.target.1}"),
		)
	}
	// The backend does not see Expect: Caddy's own server sends the 100
	// when the proxy starts reading the body, as a Caddy with a WebDAV
	// handler would, and the backend's 100 is not passed on as a second one.
	proxy := object{
		"handler":   "reverse_proxy",
		"upstreams": []object{{"dial": s.backend}},
		"headers":   object{"request": object{"delete": []string{"Expect"}}},
	}
	l3 := []string{"profile", ContentProfile, "allow", L3Allow, "link", FilesListLink}

	return []object{
		route(path("/_realpeers/id"), setHeaders("Content-Type", "text/plain"), rewrite("/id.txt"), files(internal)),
		route(path("/files/*"), contentTypes(), strip("/files"), files(s.DocRoot)),
		route(path("/l3/home"),
			setHeaders("profile", HomeProfile, "allow", L3Allow, "link", HomeEntryLink, "link", HomeNextLink, "Content-Type", "application/json"),
			rewrite("/home.json"), files(internal)),
		route(path("/l3/*"), setHeaders(l3...), contentTypes(), strip("/l3"), files(s.DocRoot)),
		redirect("/redirect307/", 307, "/files/"),
		redirect("/redirect308/", 308, "/files/"),
		redirect("/dav307/", 307, "/dav/"),
		redirect("/dav308/", 308, "/dav/"),
		route(path("/problem/409"), respond(409, Problem409Body, "Content-Type", ProblemType)),
		route(path("/problem/503"), respond(503, Problem503Body, "Content-Type", ProblemType, "Retry-After", "1")),
		route(path("/dav/*"), proxy),
		route(object{"path": []string{"/small/*"}, "expression": "{http.request.header.Content-Length} != '' && int({http.request.header.Content-Length}) > " + strconv.Itoa(SmallLimit)},
			respond(413, "", "Connection", "close")),
		route(path("/small/*"), proxy),
		route(nil, respond(404, "")),
	}
}

// headerValues maps each name of the pairs name, value, name, value... to
// its values in order, as Caddy's header fields are written.
func headerValues(kv []string) object {
	h := object{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = append(asStrings(h[kv[i]]), kv[i+1])
	}
	return h
}

// asStrings returns v as a []string, or nil.
func asStrings(v any) []string {
	s, _ := v.([]string)
	return s
}
