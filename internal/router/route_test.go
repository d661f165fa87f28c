package router

import (
	"fmt"
	"testing"
)

func TestRoute(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"GET", "/", "GET /"},
		{"GET", "", "GET /"},
		{"GET", "/contracts", "GET /contracts"},
		{"GET", "/contracts/42", "GET /contracts/:id"},
		{"DELETE", "/contracts/42/lines/7/", "DELETE /contracts/:id/lines/:id/"},
		{"PUT", "/contracts/3f2a9c1e-7b4d-4e5f-9a0b-1c2d3e4f5a6b", "PUT /contracts/:id"},
		{"GET", "/blobs/sha256/0123456789abcdef0123456789abcdef", "GET /blobs/sha256/:id"},
		{"GET", "/v1/health", "GET /v1/health"},
		{"GET", "/deadbeef", "GET /deadbeef"}, // short hex is a name
		{"GET", "/users/me", "GET /users/me"},
		{"BREW", "/coffee/1", "OTHER /coffee/:id"},
		{"GET", "relative/9", "GET /relative/:id"},
	}
	for _, tt := range tests {
		if got := Route(tt.method, tt.path); got != tt.want {
			t.Errorf("Route(%q, %q) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestRouteSetBoundsCardinality(t *testing.T) {
	s := newRouteSet()
	for i := range MaxRoutes {
		path := fmt.Sprintf("/r%c%c", 'a'+i/26, 'a'+i%26)
		if got, want := s.label("GET", path), "GET "+path; got != want {
			t.Fatalf("label(GET, %s) = %q, want %q", path, got, want)
		}
	}
	if got := s.label("GET", "/one-too-many"); got != OtherRoute {
		t.Errorf("route %d = %q, want %q", MaxRoutes+1, got, OtherRoute)
	}
	if got := s.label("GET", "/raa"); got != "GET /raa" {
		t.Errorf("known route after the cap = %q, want it kept", got)
	}
	if got := s.label("GET", "/raa/123"); got != OtherRoute {
		t.Errorf("new ID route after the cap = %q, want %q", got, OtherRoute)
	}
}

func TestRouteLabelDoesNotAllocate(t *testing.T) {
	s := newRouteSet()
	s.label("GET", "/contracts/1")
	allocs := testing.AllocsPerRun(100, func() { s.label("GET", "/contracts/99") })
	if allocs != 0 {
		t.Errorf("label of a known route allocates %.0f times, want 0", allocs)
	}
	ser := newMetrics().series(seriesKey{"s", "e", "v1", TrackMain})
	ser.observe("GET /contracts/:id", 200, 0.01)
	allocs = testing.AllocsPerRun(100, func() { ser.observe("GET /contracts/:id", 200, 0.01) })
	if allocs != 0 {
		t.Errorf("observe of a seen route and code allocates %.0f times, want 0", allocs)
	}
}
