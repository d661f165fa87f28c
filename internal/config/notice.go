package config

import (
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Notices returns what a reader of the file named file, holding data, should know
// although it is not an error: settings Slipway accepts but does not act on yet. Each
// notice is located like a [Problem]. Data that does not parse has no notices; [Parse]
// reports its problems.
//
// Today the one notice is a pr pipeline: pull-request pipelines run once Slipway
// receives pull requests from a forge; until then its steps are kept but not run.
func Notices(file string, data []byte) []Problem {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil
	}
	var out []Problem
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if n := prPipeline(doc.Body); n != nil {
			out = append(out, at(file, n, "pipelines.pr",
				"pull-request pipelines are not run yet: Slipway runs branch, main and hotfix pipelines today; pr runs once pull requests come from a forge (the steps are kept)"))
		}
		break // slipway.yaml holds one document; Parse reports a second
	}
	return out
}

// prPipeline returns the key of pipelines.pr in the tree body, or nil.
func prPipeline(body ast.Node) ast.Node {
	pipes, _ := child(unwrap(body), "pipelines")
	if pipes == nil {
		return nil
	}
	pipes = unwrap(pipes)
	if pipes == nil {
		return nil
	}
	_, key := child(pipes, "pr")
	return key
}
