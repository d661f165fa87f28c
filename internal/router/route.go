package router

import "sync"

const (
	// MaxRoutes bounds the distinct route label values; later routes count as OtherRoute.
	MaxRoutes = 100
	// OtherRoute is the route label of requests past MaxRoutes distinct routes.
	OtherRoute = "other"
)

// knownMethods are kept as they are in route labels; any other method becomes OTHER,
// so a client inventing methods cannot grow the label set.
var knownMethods = [...]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}

// Route returns the route label of a request: the method, a space and the path with
// ID-like segments (digits, UUIDs, hex of 16 characters or more) replaced by ":id",
// for example Route("GET", "/contracts/42") = "GET /contracts/:id".
func Route(method, path string) string {
	var buf [128]byte
	return string(appendRoute(buf[:0], method, path))
}

func appendRoute(dst []byte, method, path string) []byte {
	m := "OTHER"
	for _, k := range knownMethods {
		if method == k {
			m = k
			break
		}
	}
	dst = append(dst, m...)
	dst = append(dst, ' ')
	if path == "" || path[0] != '/' {
		dst = append(dst, '/')
	}
	start := 0
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		if seg := path[start:i]; isID(seg) {
			dst = append(dst, ":id"...)
		} else {
			dst = append(dst, seg...)
		}
		if i < len(path) {
			dst = append(dst, '/')
		}
		start = i + 1
	}
	return dst
}

// isID reports whether a path segment looks like an identifier rather than a name.
func isID(seg string) bool {
	if seg == "" {
		return false
	}
	digits, hex := true, true
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c < '0' || c > '9' {
			digits = false
		}
		if !isHex(c) {
			hex = false
		}
	}
	return digits || (hex && len(seg) >= 16) || isUUID(seg)
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// isUUID matches the 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// routeSet interns route labels and bounds their number to MaxRoutes.
type routeSet struct {
	mu     sync.RWMutex
	routes map[string]string
}

func newRouteSet() *routeSet {
	return &routeSet{routes: make(map[string]string, MaxRoutes)}
}

// label returns the interned route label of (method, path), or OtherRoute once
// MaxRoutes distinct routes are known. A known route costs no allocation.
func (s *routeSet) label(method, path string) string {
	var buf [128]byte
	key := appendRoute(buf[:0], method, path)
	s.mu.RLock()
	r, ok := s.routes[string(key)]
	full := len(s.routes) >= MaxRoutes
	s.mu.RUnlock()
	if ok {
		return r
	}
	if full {
		return OtherRoute
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.routes[string(key)]; ok {
		return r
	}
	if len(s.routes) >= MaxRoutes {
		return OtherRoute
	}
	r = string(key)
	s.routes[r] = r
	return r
}
