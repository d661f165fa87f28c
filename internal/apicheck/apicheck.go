// Package apicheck finds breaking changes between two versions of an OpenAPI 3
// document, with oasdiff's backward-compatibility checks: a removed endpoint or
// response property, a new required request field, a narrowed type. It is what a
// service's pipeline runs (slipway check api) before a change can reach main.
package apicheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"
)

// Levels of a change.
const (
	// Error is a change that breaks existing clients.
	Error = "error"
	// Warning is a change that may break clients (e.g. a removed optional field).
	Warning = "warning"
	// Info is a compatible change.
	Info = "info"
)

// Change is one difference between the base and the head document.
type Change struct {
	// Level is error, warning or info.
	Level string
	// ID is oasdiff's check id, e.g. response-required-property-removed.
	ID string
	// Operation is the HTTP method, Path the templated path (GET, /contracts/{id}).
	Operation, Path string
	// Text says what changed, in English.
	Text string
}

// Breaking returns the changes from base to head that break or may break clients
// (levels error and warning), errors first.
func Breaking(ctx context.Context, base, head []byte) ([]Change, error) {
	all, err := Compare(ctx, base, head)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(c Change) bool { return c.Level == Info }), nil
}

// Compare returns every change from base to head, compatible ones included, sorted
// by level (errors first), then path, operation and id.
func Compare(ctx context.Context, base, head []byte) ([]Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("compare API documents: %w", err)
	}
	s1, err := loadSpec(ctx, base, "base")
	if err != nil {
		return nil, err
	}
	s2, err := loadSpec(ctx, head, "head")
	if err != nil {
		return nil, err
	}
	report, sources, err := diff.GetWithOperationsSourcesMap(diff.NewConfig(), s1, s2)
	if err != nil {
		return nil, fmt.Errorf("compare API documents: %w", err)
	}
	found := checker.CheckBackwardCompatibilityUntilLevel(checker.NewConfig(checker.GetAllChecks()), report, sources, checker.INFO)
	l := checker.NewDefaultLocalizer()
	out := make([]Change, 0, len(found))
	for _, c := range found {
		out = append(out, Change{
			Level:     levelName(c.GetLevel()),
			ID:        c.GetId(),
			Operation: c.GetOperation(),
			Path:      c.GetPath(),
			Text:      c.GetUncolorizedText(l),
		})
	}
	rank := map[string]int{Error: 0, Warning: 1, Info: 2}
	slices.SortStableFunc(out, func(a, b Change) int {
		return cmp.Or(cmp.Compare(rank[a.Level], rank[b.Level]), cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Operation, b.Operation), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Text, b.Text))
	})
	return out, nil
}

func levelName(l checker.Level) string {
	switch l {
	case checker.ERR:
		return Error
	case checker.WARN:
		return Warning
	default:
		return Info
	}
}

// loadSpec parses one OpenAPI 3 document (YAML or JSON). Each side gets its own
// loader so the two documents never share a cache.
func loadSpec(ctx context.Context, data []byte, side string) (*load.SpecInfo, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("load %s API document: it is empty", side)
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = false
	info, err := load.NewSpecInfoFromData(loader, data, side+".yaml")
	if err != nil {
		return nil, fmt.Errorf("load %s API document: %w", side, err)
	}
	if info.Spec == nil || info.Spec.OpenAPI == "" {
		return nil, fmt.Errorf("load %s API document: %w", side, errNotOpenAPI)
	}
	return info, nil
}

var errNotOpenAPI = errors.New(`not an OpenAPI 3 document (no "openapi" field)`)
