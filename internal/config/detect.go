package config

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// healthPaths are the routes init recognises as a health check, best first: a
// readiness route says what Slipway asks (ready for traffic) better than liveness.
var healthPaths = []string{"/health/ready", "/readyz", "/ready", "/healthz", "/health", "/livez", "/ping"}

// routeFuncs are the names of route registration calls in net/http and the common
// routers (chi, gorilla/mux, gin, echo, fiber).
var routeFuncs = []string{"HandleFunc", "Handle", "Get", "GET", "Head", "HEAD", "route", "Any", "Path"}

// route is a health route found in Go source.
type route struct {
	Path string
	// At is where it is registered, as file:line relative to the directory searched.
	At string
}

// goTree is what init learns from a directory's Go sources.
type goTree struct {
	mains  []string // main packages as ./dir, sorted
	routes []route  // health routes, in healthPaths order
}

// scanGo walks dir's .go files (tests excluded), skipping vendor, testdata,
// hidden and _-prefixed directories, and finds main packages with a func main
// and the health routes they register.
func scanGo(dir string) (goTree, error) {
	var t goTree
	mains := map[string]bool{}
	found := map[string]route{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && (name == "vendor" || name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || !d.Type().IsRegular() {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil // a file that does not parse is not what init is looking for
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if f.Name.Name == "main" && hasMainFunc(f) {
			mains["./"+path.Dir(rel)] = true
		}
		for _, r := range healthRoutes(fset, f, rel) {
			if _, ok := found[r.Path]; !ok {
				found[r.Path] = r
			}
		}
		return nil
	})
	if err != nil {
		return goTree{}, fmt.Errorf("scan %s: %w", dir, err)
	}
	for m := range mains {
		if m == "./." {
			m = "."
		}
		t.mains = append(t.mains, m)
	}
	sort.Strings(t.mains)
	for _, hp := range healthPaths {
		if r, ok := found[hp]; ok {
			t.routes = append(t.routes, r)
		}
	}
	return t, nil
}

func hasMainFunc(f *ast.File) bool {
	for _, decl := range f.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "main" {
			return true
		}
	}
	return false
}

// healthRoutes finds calls like mux.HandleFunc("GET /healthz", h) or r.Get("/ready", h)
// whose first argument is a known health path.
func healthRoutes(fset *token.FileSet, f *ast.File, rel string) []route {
	var out []route
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		var fn string
		switch x := call.Fun.(type) {
		case *ast.SelectorExpr:
			fn = x.Sel.Name
		case *ast.Ident:
			fn = x.Name
		}
		if !slices.Contains(routeFuncs, fn) {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return true
		}
		if p := routePath(s); slices.Contains(healthPaths, p) {
			out = append(out, route{Path: p, At: fmt.Sprintf("%s:%d", rel, fset.Position(lit.Pos()).Line)})
		}
		return true
	})
	return out
}

// routePath strips a Go 1.22 pattern's method and host: "GET example.com/healthz"
// is /healthz.
func routePath(pattern string) string {
	p := strings.TrimSpace(pattern)
	if _, after, ok := strings.Cut(p, " "); ok {
		p = strings.TrimSpace(after)
	}
	if i := strings.Index(p, "/"); i > 0 {
		p = p[i:]
	}
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// modulePath reads the module path from dir/go.mod, or "".
func modulePath(dir string) string {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

var (
	majorSuffix = regexp.MustCompile(`^v[0-9]+$`)
	nonName     = regexp.MustCompile(`[^a-z0-9]+`)
)

// serviceName is the name init gives a service: the module path's last element
// (before a /vN suffix), else the directory's name, sanitised.
func serviceName(module, dir string) string {
	if module != "" {
		parts := strings.Split(module, "/")
		last := parts[len(parts)-1]
		if majorSuffix.MatchString(last) && len(parts) > 1 {
			last = parts[len(parts)-2]
		}
		if n := sanitizeName(last); n != "" {
			return n
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return sanitizeName(filepath.Base(abs))
}

// sanitizeName turns s into a valid service name: lower-case letters, digits and
// single dashes, starting with a letter, at most 63 characters; "" when nothing
// of s is left.
func sanitizeName(s string) string {
	n := strings.Trim(nonName.ReplaceAllString(strings.ToLower(s), "-"), "-")
	n = strings.TrimLeft(n, "0123456789-")
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-")
	}
	return n
}

// pickMain chooses the main package of service among mains: ./cmd/<service> when
// there is one, else the first.
func pickMain(mains []string, service string) string {
	for _, m := range mains {
		if m == "./cmd/"+service {
			return m
		}
	}
	return mains[0]
}
