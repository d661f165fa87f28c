package apicheck_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/apicheck"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBreaking(t *testing.T) {
	base := read(t, "base.yaml")
	tests := []struct {
		head string
		// wantIDs must all be among the breaking changes; nil means none at all.
		wantIDs []string
		path    string
	}{
		{"removed-response-property.yaml", []string{"response-required-property-removed"}, "/contracts/{id}"},
		{"required-request-field.yaml", []string{"new-required-request-property"}, "/contracts"},
		{"optional-fields.yaml", nil, ""},
		{"base.yaml", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.head, func(t *testing.T) {
			got, err := apicheck.Breaking(context.Background(), base, read(t, tt.head))
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantIDs == nil {
				if len(got) != 0 {
					t.Errorf("Breaking(base, %s) = %+v, want no breaking change", tt.head, got)
				}
				return
			}
			for _, id := range tt.wantIDs {
				found := false
				for _, c := range got {
					if c.ID == id && c.Level == apicheck.Error && c.Path == tt.path && c.Text != "" {
						found = true
					}
				}
				if !found {
					t.Errorf("Breaking(base, %s) = %+v, want an error %s on %s", tt.head, got, id, tt.path)
				}
			}
		})
	}
}

func TestCompareCountsCompatibleChanges(t *testing.T) {
	all, err := apicheck.Compare(context.Background(), read(t, "base.yaml"), read(t, "optional-fields.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("Compare(base, optional-fields) found no change; want the added properties as info")
	}
	for _, c := range all {
		if c.Level != apicheck.Info {
			t.Errorf("adding optional fields gave %s %s: %s", c.Level, c.ID, c.Text)
		}
	}
}

func TestBadDocuments(t *testing.T) {
	base := read(t, "base.yaml")
	tests := []struct {
		name       string
		base, head []byte
		want       string
	}{
		{"empty head", base, nil, "load head API document: it is empty"},
		{"not yaml", []byte("openapi: [3"), base, "load base API document"},
		{"not openapi", base, []byte("name: contract\n"), "not an OpenAPI 3 document"},
	}
	for _, tt := range tests {
		_, err := apicheck.Breaking(context.Background(), tt.base, tt.head)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Breaking error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}
