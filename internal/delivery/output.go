package delivery

import (
	"bytes"
	"io"
)

// indent prefixes every line written to w with two spaces; nil stays nil.
func indent(w io.Writer) io.Writer {
	if w == nil {
		return nil
	}
	return &indenter{w: w, bol: true}
}

type indenter struct {
	w   io.Writer
	bol bool
}

func (in *indenter) Write(p []byte) (int, error) {
	var b bytes.Buffer
	for _, c := range p {
		if in.bol {
			b.WriteString("  ")
		}
		b.WriteByte(c)
		in.bol = c == '\n'
	}
	if _, err := in.w.Write(b.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}
