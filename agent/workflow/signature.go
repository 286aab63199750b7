package workflow

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// checkSignature accepts a small SVG of strokes: an <svg> root holding only
// paths, polylines, lines and groups, and nothing that can run or fetch.
func checkSignature(svg string) error {
	if len(svg) > MaxSignatureBytes {
		return problem.New(problem.SignatureTooLarge, "max_kib", MaxSignatureBytes>>10)
	}
	d := xml.NewDecoder(strings.NewReader(svg))
	depth, strokes := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return problem.Wrap(err, problem.SignatureBadSVG, "detail", err.Error())
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if depth == 0 && name != "svg" {
				return problem.New(problem.SignatureNotSVG)
			}
			switch name {
			case "svg", "g":
			case "path", "polyline", "line":
				strokes++
			default:
				return problem.New(problem.SignatureElement, "element", name)
			}
			for _, a := range t.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") || strings.Contains(strings.ToLower(a.Value), "javascript:") || a.Name.Local == "href" {
					return problem.New(problem.SignatureContent)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.ProcInst, xml.Directive:
			return problem.New(problem.SignatureContent)
		}
	}
	if strokes == 0 {
		return problem.New(problem.SignatureEmpty)
	}
	return nil
}
