package workflow

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// checkSignature accepts a small SVG of strokes: an <svg> root holding only
// paths, polylines, lines and groups, and nothing that can run or fetch.
func checkSignature(svg string) error {
	if len(svg) > MaxSignatureBytes {
		return bad("签名过大 / the signature is larger than %d KiB: clear and sign again", MaxSignatureBytes>>10)
	}
	d := xml.NewDecoder(strings.NewReader(svg))
	depth, strokes := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bad("签名格式错误 / the signature is not valid SVG: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if depth == 0 && name != "svg" {
				return bad("签名须为 SVG / the signature must be an <svg>")
			}
			switch name {
			case "svg", "g":
			case "path", "polyline", "line":
				strokes++
			default:
				return bad("签名含不允许的元素 <%s> / the signature may hold strokes only", name)
			}
			for _, a := range t.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") || strings.Contains(strings.ToLower(a.Value), "javascript:") || a.Name.Local == "href" {
					return bad("签名含不允许的属性 / the signature may hold strokes only")
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.ProcInst, xml.Directive:
			return bad("签名含不允许的内容 / the signature may hold strokes only")
		}
	}
	if strokes == 0 {
		return bad("签名为空 / the signature is empty: please sign")
	}
	return nil
}
