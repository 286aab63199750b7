package measures

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// WriteCSV writes r as CSV for a spreadsheet: a UTF-8 byte-order mark (so
// Excel reads the Chinese right), a header of the measures' labels in lang
// ("en", else Chinese), one line per row and a last line of the total.
// An empty cell is a value there is none of.
func WriteCSV(w io.Writer, r *Result, lang string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	key, period, total := "分组", "期间", "合计"
	if lang == "en" {
		key, period, total = "group", "period", "total"
	}
	header := []string{key, period}
	for _, d := range Defs {
		label, _ := d.words(lang)
		header = append(header, label)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	line := func(k, p string, v map[string]any) error {
		rec := []string{k, p}
		for _, d := range Defs {
			rec = append(rec, cell(v[d.Name]))
		}
		return cw.Write(rec)
	}
	for _, row := range r.Rows {
		if err := line(row.Key, row.Period, row.Values); err != nil {
			return err
		}
	}
	if err := line(total, r.From+"/"+r.To, r.Total.Values); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
