// This file holds the Apache httpd configuration of the layout described in
// doc.go, the module discovery it needs, and Apache, which starts it.

package realpeers

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"text/template"
)

// Apache starts Apache httpd (apache2, or httpd) for t on a free port of
// 127.0.0.1 and stops it in t.Cleanup. If it is not installed it calls
// t.Skip (t.Fatal when REALPEERS_REQUIRE is set); if it is installed but does
// not start, t.Fatal with its error log.
//
// Apache runs in the foreground (-DFOREGROUND) with the event MPM (prefork
// if event is missing) and only the modules the layout needs, loaded from
// the distribution's module directory. It refuses to serve as root, so when
// the tests run as root its workers run as www-data (or nobody).
func Apache(t testing.TB) *Server {
	t.Helper()
	return start(t, apacheFlavor())
}

// apacheFlavor describes how to find, configure and start apache.
func apacheFlavor() flavor {
	return flavor{
		name:      "apache",
		find:      func() string { return findBinary([]string{"apache2", "httpd"}, sbinDirs) },
		missing:   "apache not installed: apt-get install apache2 (CI installs it)",
		configure: configureApache,
	}
}

// apacheModule is one module the configuration needs.
type apacheModule struct {
	Name string // as in LoadModule, e.g. "dav_module"
	Path string // the shared object
}

// neededModules are the modules of the layout besides the MPM, by the name
// of their source file (as `httpd -l` lists those compiled in).
var neededModules = []string{
	"unixd", "authz_core", "log_config", "mime", "alias", "headers", "env",
	"dav", "dav_fs", "ratelimit", "ssl", "http2",
}

// moduleDirs are where distributions put Apache's modules.
var moduleDirs = []string{
	"/usr/lib/apache2/modules",    // Debian, Ubuntu
	"/usr/lib64/httpd/modules",    // Fedora, RHEL
	"/usr/lib/httpd/modules",      // Arch
	"/usr/lib/apache2",            // openSUSE
	"/usr/libexec/apache2",        // macOS
	"/usr/local/libexec/apache24", // FreeBSD
	"/opt/homebrew/lib/httpd/modules",
	"/usr/local/lib/httpd/modules",
}

// apacheModulesCache holds the result of apacheModules per binary.
var apacheModulesCache sync.Map // bin -> moduleResult

type moduleResult struct {
	mods []apacheModule
	err  error
}

// apacheModules returns the LoadModule lines bin needs: modules compiled
// into bin (`bin -l`) are left out, the others are looked up in moduleDirs.
func apacheModules(bin string) ([]apacheModule, error) {
	if r, ok := apacheModulesCache.Load(bin); ok {
		return r.(moduleResult).mods, r.(moduleResult).err
	}
	mods, err := findApacheModules(bin)
	apacheModulesCache.Store(bin, moduleResult{mods, err})
	return mods, err
}

func findApacheModules(bin string) ([]apacheModule, error) {
	out, err := exec.Command(bin, "-l").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s -l: %v: %s", bin, err, out)
	}
	static := map[string]bool{}
	for _, f := range strings.Fields(string(out)) {
		if name, ok := strings.CutSuffix(f, ".c"); ok {
			static[strings.TrimPrefix(name, "mod_")] = true
		}
	}
	dir := ""
	for _, d := range moduleDirs {
		if _, err := os.Stat(filepath.Join(d, "mod_dav.so")); err == nil {
			dir = d
			break
		}
	}
	if dir == "" && !static["dav"] {
		return nil, fmt.Errorf("no Apache module directory with mod_dav.so among %v", moduleDirs)
	}
	var mods []apacheModule
	if !static["event"] && !static["prefork"] && !static["worker"] {
		mpm := ""
		for _, m := range []string{"mpm_event", "mpm_prefork", "mpm_worker"} {
			if _, err := os.Stat(filepath.Join(dir, "mod_"+m+".so")); err == nil {
				mpm = m
				break
			}
		}
		if mpm == "" {
			return nil, fmt.Errorf("no MPM module in %s", dir)
		}
		mods = append(mods, apacheModule{mpm + "_module", filepath.Join(dir, "mod_"+mpm+".so")})
	}
	var missing []string
	for _, m := range neededModules {
		if static[m] {
			continue
		}
		path := filepath.Join(dir, "mod_"+m+".so")
		if _, err := os.Stat(path); err != nil {
			missing = append(missing, path)
			continue
		}
		mods = append(mods, apacheModule{m + "_module", path})
	}
	if len(missing) > 0 {
		return nil, errors.New("missing Apache modules: " + strings.Join(missing, ", "))
	}
	return mods, nil
}

// configureApache writes base/conf/httpd.conf, the problem documents and the
// runtime directories for port and returns httpd's arguments.
func configureApache(s *Server, bin string, p ports) ([]string, error) {
	mods, err := apacheModules(bin)
	if err != nil {
		return nil, err
	}
	w, err := worker()
	if err != nil {
		return nil, err
	}
	internal := filepath.Join(s.base, "internal")
	for name, doc := range map[string]string{"409.problem": Problem409Body, "503.problem": Problem503Body} {
		if err := os.WriteFile(filepath.Join(internal, name), []byte(doc), 0o644); err != nil {
			return nil, err
		}
	}
	data := apacheData{
		Base:     s.base,
		Files:    s.DocRoot,
		DAV:      s.DAVRoot,
		Internal: internal,
		ErrorLog: s.ErrorLog,
		Port:     p.plain,
		TLSPort:  p.tls,
		TLSDir:   filepath.Join(s.base, "conf", "tls"),
		Modules:  mods,

		ContentProfile: ContentProfile, L3Allow: L3Allow, FilesListLink: FilesListLink,
		HomeProfile: HomeProfile, HomeEntryLink: HomeEntryLink, HomeNextLink: HomeNextLink,
		SmallLimit: SmallLimit, SlowRateKiB: SlowRate >> 10,
		UnknownTypes: unknownTypesRegexp(),
	}
	if w != nil {
		data.User, data.Group = w.user, w.group
	}
	var b strings.Builder
	if err := apacheConf.Execute(&b, data); err != nil {
		return nil, err
	}
	conf := filepath.Join(s.base, "conf", "httpd.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	return []string{"-d", s.base, "-f", conf, "-DFOREGROUND"}, nil
}

// unknownTypesRegexp matches file names whose last extension is not in
// mimeTypes, for the FilesMatch that gives them application/octet-stream.
func unknownTypesRegexp() string {
	var exts []string
	for _, m := range mimeTypes {
		exts = append(exts, strings.Fields(m.exts)...)
	}
	return `^(?!.*\.(?i:` + strings.Join(exts, "|") + `)$)`
}

type apacheData struct {
	User, Group                              string
	Base, Files, DAV, Internal, ErrorLog     string
	Port, TLSPort                            int
	TLSDir                                   string
	Modules                                  []apacheModule
	ContentProfile, L3Allow, FilesListLink   string
	HomeProfile, HomeEntryLink, HomeNextLink string
	SmallLimit, SlowRateKiB                  int
	UnknownTypes                             string
}

// apacheConf is the Apache configuration. Notes:
//   - Redirects are matched before aliases; Aliases are tried in order, so
//     /l3/home comes before /l3/.
//   - <Location> sections merge in order, so /l3/home's Header set lines
//     replace the /l3/ ones; "always" puts the headers on every status.
//   - /problem/409 and /problem/503 answer their status for every method
//     (RedirectMatch with a non-3xx status), and a local ErrorDocument,
//     scoped to /problem/, supplies the exact body; Apache turns the
//     method into GET to fetch it. (mod_asis would be simpler, but it
//     serves GET only: a POST got 200 and the raw file.) The .problem
//     extension maps to application/problem+json.
//   - Apache sends no Content-Type for unknown extensions (DefaultType is
//     gone in 2.4): the FilesMatch forces nginx's default_type on them.
//   - Header values are single-quoted: they contain double quotes.
//   - One child with 64 threads from the start: Apache adds children at
//     most once a second, which shows up as 1 s stalls under parallel
//     tests. No child is ever stopped for being idle (MaxSpareThreads is
//     MaxRequestWorkers): stopping one closes its keep-alive connections,
//     and a client reusing one for a PUT would fail at random.
//     KeepAliveTimeout is nginx's 30 s.
//   - LimitRequestBody 0 (no limit; Apache's default is 1 GiB) except on
//     /small/.
//   - TLS on TLSPort is a virtual host that inherits the whole layout from
//     the main server; mod_http2 offers h2 there (Protocols), with the
//     event MPM (prefork cannot do h2).
var apacheConf = template.Must(template.New("httpd.conf").Parse(`# realpeers apache instance
ServerRoot "{{.Base}}"
DefaultRuntimeDir "{{.Base}}/run"
PidFile "{{.Base}}/run/httpd.pid"
Mutex file:{{.Base}}/run default
{{range .Modules}}LoadModule {{.Name}} "{{.Path}}"
{{end -}}
{{if .User}}User {{.User}}
Group {{.Group}}
{{end -}}
Listen 127.0.0.1:{{.Port}}
Listen 127.0.0.1:{{.TLSPort}} https
ServerName 127.0.0.1:{{.Port}}
ServerTokens Prod
ErrorLog "{{.ErrorLog}}"
LogLevel warn
LogFormat "%h %l %u %t \"%r\" %>s %b" common
CustomLog "{{.Base}}/logs/access.log" common
TypesConfig "{{.Base}}/conf/mime.types"
<FilesMatch "{{.UnknownTypes}}">
	ForceType application/octet-stream
</FilesMatch>
Timeout 30
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
LimitRequestBody 0
TraceEnable Off

<IfModule mpm_event_module>
	StartServers 1
	ServerLimit 4
	ThreadLimit 64
	ThreadsPerChild 64
	MaxRequestWorkers 256
	MinSpareThreads 8
	MaxSpareThreads 256
</IfModule>
<IfModule mpm_prefork_module>
	StartServers 2
	MinSpareServers 1
	MaxSpareServers 32
	MaxRequestWorkers 32
</IfModule>

SSLSessionCache none
<VirtualHost 127.0.0.1:{{.TLSPort}}>
	ServerName 127.0.0.1:{{.TLSPort}}
	SSLEngine on
	SSLProtocol -all +TLSv1.2 +TLSv1.3
	SSLCertificateFile "{{.TLSDir}}/cert.pem"
	SSLCertificateKeyFile "{{.TLSDir}}/key.pem"
	Protocols h2 http/1.1
</VirtualHost>

DocumentRoot "{{.Base}}/empty"
<Directory />
	Options None
	AllowOverride None
	Require all denied
</Directory>
<Directory "{{.Files}}">
	Require all granted
</Directory>
<Directory "{{.DAV}}">
	Require all granted
</Directory>
<Directory "{{.Internal}}">
	Require all granted
</Directory>

RedirectMatch 307 "^/redirect307/(.*)$" "/files/$1"
RedirectMatch 308 "^/redirect308/(.*)$" "/files/$1"
RedirectMatch 307 "^/dav307/(.*)$" "/dav/$1"
RedirectMatch 308 "^/dav308/(.*)$" "/dav/$1"
Alias "/_realpeers/id" "{{.Internal}}/id.txt"
Alias "/l3/home" "{{.Internal}}/home.json"
RedirectMatch 409 "^/problem/409$"
RedirectMatch 503 "^/problem/503$"
Alias "/_realpeers/problem/" "{{.Internal}}/"
Alias "/files/" "{{.Files}}/"
Alias "/l3/" "{{.Files}}/"
Alias "/slow/" "{{.Files}}/"
Alias "/dav/" "{{.DAV}}/"
Alias "/small/" "{{.DAV}}/"

DavLockDB "{{.Base}}/tmp/davlock"
<Location "/dav/">
	Dav On
</Location>
<Location "/small/">
	Dav On
	LimitRequestBody {{.SmallLimit}}
</Location>

<Location "/l3/">
	Header always set profile '{{.ContentProfile}}'
	Header always set allow '{{.L3Allow}}'
	Header always set link '{{.FilesListLink}}'
</Location>
<Location "/l3/home">
	Header always set profile '{{.HomeProfile}}'
	Header always set link '{{.HomeEntryLink}}'
	Header always add link '{{.HomeNextLink}}'
</Location>

<Location "/problem/">
	ErrorDocument 409 /_realpeers/problem/409.problem
	ErrorDocument 503 /_realpeers/problem/503.problem
</Location>
<Location "/_realpeers/problem/503.problem">
	Header always set Retry-After 1
</Location>

<Location "/slow/">
	SetOutputFilter RATE_LIMIT
	SetEnv rate-limit {{.SlowRateKiB}}
</Location>
`))
