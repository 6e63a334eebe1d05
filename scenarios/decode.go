package scenarios

import (
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// decodeStrict decodes data into v, strictly (an unknown field is an
// error). A panic inside the YAML library (go-yaml v1.19.2 dereferences nil
// on some bare tags, `faults: !` and variants) becomes an *Error placed at
// the first tag of the file, since that is what such panics come from: no
// input may crash the lab.
func decodeStrict(file string, data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(file, data, r)
		}
	}()
	if err := yaml.UnmarshalWithOptions(data, v, yaml.Strict()); err != nil {
		return decodeError(file, data, err)
	}
	return nil
}

// panicError says where the YAML that made the decoder panic is.
func panicError(file string, data []byte, r any) *Error {
	e := &Error{File: file, Msg: fmt.Sprintf("cannot read this YAML (the decoder failed: %v); want plain values, without tags such as `!` or `!!str`", r)}
	if tok := firstTag(data); tok != nil {
		e.Line, e.Col = tok.Position.Line, tok.Position.Column
		e.Msg = fmt.Sprintf("tag %q: want a plain value; tags are not part of scenario or fault files", tok.Value)
	}
	return e
}

// firstTag returns the first tag token of data, or nil.
func firstTag(data []byte) (tok *token.Token) {
	defer func() {
		if recover() != nil {
			tok = nil
		}
	}()
	for _, t := range lexer.Tokenize(string(data)) {
		if t.Type == token.TagType {
			return t
		}
	}
	return nil
}

// parseAST parses data into its YAML tree for positions, or returns nil
// (on an error or a panic of the library: positions are then not found,
// and errors name the file alone).
func parseAST(data []byte) (f *ast.File) {
	defer func() {
		if recover() != nil {
			f = nil
		}
	}()
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil
	}
	return f
}
