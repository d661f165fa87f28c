package config

import (
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// lookup finds the node a field path such as environments[2].rollout.steps names in
// the YAML tree. When the field is absent (a default, or a missing required field) it
// returns the key of its closest ancestor that is present, so a problem still points
// at the right place; nil means not even the first segment is there.
func lookup(root ast.Node, field string) ast.Node {
	if root == nil || field == "" {
		return root
	}
	var found ast.Node // the deepest node matched so far
	var key ast.Node   // its key, when it was matched by name
	n := root
	for _, seg := range splitField(field) {
		n = unwrap(n)
		if n == nil {
			break
		}
		next, nextKey := child(n, seg)
		if next == nil {
			if key != nil {
				return key
			}
			return found
		}
		found, n, key = next, next, nextKey
	}
	if found == nil {
		return nil
	}
	return position(found, key)
}

// position picks the node whose token best locates a value: a block mapping or an
// empty value is shown by its key ("build:"), anything else by the value itself.
func position(value, key ast.Node) ast.Node {
	switch v := value.(type) {
	case *ast.MappingValueNode:
		return v.Key
	case *ast.MappingNode:
		if key != nil && !v.IsFlowStyle {
			return key
		}
		if !v.IsFlowStyle && len(v.Values) > 0 {
			return v.Values[0].Key
		}
	case *ast.NullNode:
		if key != nil {
			return key
		}
	}
	return value
}

// child returns the element of n that seg names: a mapping key or a list index "[i]".
// For a mapping it also returns the key node.
func child(n ast.Node, seg string) (value, key ast.Node) {
	if idx, ok := strings.CutPrefix(seg, "["); ok {
		i, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
		seq, isSeq := n.(*ast.SequenceNode)
		if err != nil || !isSeq || i < 0 || i >= len(seq.Values) {
			return nil, nil
		}
		return seq.Values[i], nil
	}
	pairs, ok := mappingPairs(n)
	if !ok {
		return nil, nil
	}
	for _, mv := range pairs {
		if keyString(mv.Key) == seg {
			return mv.Value, mv.Key
		}
	}
	return nil, nil
}

// splitField splits "a.b[2].c" into "a", "b", "[2]", "c".
func splitField(field string) []string {
	var segs []string
	for part := range strings.SplitSeq(field, ".") {
		for {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				break
			}
			if i > 0 {
				segs = append(segs, part[:i])
			}
			j := strings.IndexByte(part[i:], ']')
			if j < 0 {
				break
			}
			segs = append(segs, part[i:i+j+1])
			part = part[i+j+1:]
		}
		if part != "" {
			segs = append(segs, part)
		}
	}
	return segs
}
