package level3_test

import (
	"bufio"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// The Go snippets of README.md and docs/*.md are compiled against this
// module by TestDocSnippetsCompile, so that the documentation cannot go stale
// as the API changes; the complete programs among them (package main) are
// run as well.
//
// A fragment (a block that is not a whole file) is compiled as the body of a
// function, with ctx, client and token declared at package level, and the
// imports it needs found from the package names it uses. Errors that only a
// fragment causes (a variable or import it declares but does not use) are
// ignored; every other compile error fails the test with the file and line
// of the snippet.

// snippet is one ```go block of a document.
type snippet struct {
	file string // document, relative to the module root
	line int    // line of the block's first code line
	code string
}

// docSnippets returns the ```go blocks of the documents.
func docSnippets(t *testing.T, docs ...string) []snippet {
	t.Helper()
	var out []snippet
	for _, doc := range docs {
		f, err := os.Open(doc)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		var cur *snippet
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			switch {
			case cur == nil && strings.TrimSpace(line) == "```go":
				cur = &snippet{file: doc, line: n + 1}
			case cur != nil && strings.TrimSpace(line) == "```":
				out = append(out, *cur)
				cur = nil
			case cur != nil:
				cur.code += line + "\n"
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// knownImports maps the package names snippets use to their import paths.
var knownImports = map[string]string{
	"level3": "github.com/l3go/level3", "profiles": "github.com/l3go/level3/profiles",
	"mocks": "github.com/l3go/level3/mocks", "redirects": "github.com/l3go/level3/redirects",
	"polite": "github.com/l3go/level3/polite", "l3redis": "github.com/l3go/level3/l3redis",
	"bytes": "bytes", "context": "context", "errors": "errors", "fmt": "fmt", "io": "io",
	"json": "encoding/json", "log": "log", "slog": "log/slog", "http": "net/http",
	"url": "net/url", "os": "os", "filepath": "path/filepath", "strings": "strings",
	"sync": "sync", "time": "time", "assert": "github.com/stretchr/testify/assert", "require": "github.com/stretchr/testify/require",
}

var (
	importBlock = regexp.MustCompile(`(?s)^\s*import\s*(\([^)]*\)|"[^"]*")\s*`)
	pkgUse      = regexp.MustCompile(`\b([a-z][a-z0-9]*)\.[A-Za-z_]`)
)

// program returns the Go file that compiles s, and whether it is a whole
// program to run.
func (s snippet) program() (src string, runnable bool) {
	if strings.HasPrefix(strings.TrimSpace(s.code), "package ") {
		return fmt.Sprintf("//line %s:%d\n%s", s.file, s.line, s.code), strings.Contains(s.code, "func main()")
	}
	body := s.code
	imports := map[string]bool{}
	if m := importBlock.FindStringSubmatch(body); m != nil {
		for _, q := range regexp.MustCompile(`"[^"]+"`).FindAllString(m[1], -1) {
			imports[q] = true
		}
		body = body[len(m[0]):]
	}
	for _, m := range pkgUse.FindAllStringSubmatch(body, -1) {
		if path, ok := knownImports[m[1]]; ok {
			imports[`"`+path+`"`] = true
		}
	}
	imports[`"context"`], imports[`"github.com/l3go/level3"`], imports[`"testing"`] = true, true, true
	var list []string
	for q := range imports {
		list = append(list, q)
	}
	sort.Strings(list)
	return useAll(fmt.Sprintf(`package main

import (
	%s
)

var (
	ctx    context.Context
	client *level3.Client
	token  string
	t      *testing.T
)

func main() {}

func snippet() error {
//line %s:%d
%s
	return nil
}
`, strings.Join(list, "\n\t"), s.file, s.line, body)), false
}

// useAll adds "_ = name" for every variable the snippet function declares
// at its top level, so that a fragment that shows a call without using its
// result still compiles, and the errors left are real ones.
func useAll(src string) string {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, 0)
	if err != nil {
		return src // the compiler reports it, with the snippet's position
	}
	var names []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "snippet" {
			continue
		}
		for _, st := range fn.Body.List {
			switch st := st.(type) {
			case *ast.AssignStmt:
				if st.Tok == token.DEFINE {
					for _, e := range st.Lhs {
						if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
							names = append(names, id.Name)
						}
					}
				}
			case *ast.DeclStmt:
				if gd, ok := st.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR {
					for _, sp := range gd.Specs {
						for _, id := range sp.(*ast.ValueSpec).Names {
							names = append(names, id.Name)
						}
					}
				}
			}
		}
	}
	if len(names) == 0 {
		return src
	}
	i := strings.LastIndex(src, "\treturn nil\n}")
	var b strings.Builder
	for _, n := range names {
		b.WriteString("\t_ = " + n + "\n")
	}
	return src[:i] + b.String() + src[i:]
}

// fragmentOnly are compile errors that a fragment alone causes.
var fragmentOnly = regexp.MustCompile(`declared and not used|imported and not used`)

func TestDocSnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every documentation snippet with the go command")
	}
	docs, _ := filepath.Glob("docs/*.md")
	snippets := docSnippets(t, append([]string{"README.md"}, docs...)...)
	if len(snippets) == 0 {
		t.Fatal("no Go snippets found in README.md")
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goSum, _ := os.ReadFile("go.sum")
	dir := t.TempDir()
	mod := "module snippets\n\n" + goVersionLine(string(goMod)) +
		"\nrequire github.com/l3go/level3 v0.0.0\n\nreplace github.com/l3go/level3 => " + root + "\n"
	must(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "go.sum"), goSum, 0o644))
	var run []string
	for i, s := range snippets {
		src, runnable := s.program()
		pkg := fmt.Sprintf("s%02d", i)
		must(t, os.MkdirAll(filepath.Join(dir, pkg), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, pkg, "main.go"), []byte(src), 0o644))
		if runnable {
			run = append(run, pkg)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	vet := exec.CommandContext(ctx, "go", "vet", "-mod=mod", "./...")
	vet.Dir = dir
	vet.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err := vet.CombinedOutput()
	if err != nil {
		var real []string
		for _, line := range strings.Split(string(out), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") && !fragmentOnly.MatchString(line) {
				real = append(real, line)
			}
		}
		if len(real) > 0 {
			t.Fatalf("documentation snippets do not compile:\n%s\n\n(full output:\n%s)", strings.Join(real, "\n"), out)
		}
	}
	for _, pkg := range run {
		cmd := exec.CommandContext(ctx, "go", "run", "-mod=mod", "./"+pkg)
		cmd.Dir = dir
		cmd.Env = vet.Env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("running the program at %s: %v\n%s", pkg, err, out)
		}
	}
}

// goVersionLine returns the go directive of a go.mod file.
func goVersionLine(goMod string) string {
	for _, line := range strings.Split(goMod, "\n") {
		if strings.HasPrefix(line, "go ") {
			return line + "\n"
		}
	}
	return ""
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
