package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// The one list mechanism of every list route: ?limit= (default 50, at most
// 500), ?cursor= (the "next" of the previous page; null at the end), and
// ?format=csv, the same rows as a CSV file in the ?lang= language, every
// page streamed from the store. A route declares its columns once: they
// are the CSV's columns, in order, and their header words.

// Query parameters the list mechanism reads on every list route.
const (
	fLimit  = "limit"
	fCursor = "cursor"
	fFormat = "format"
	fLang   = "lang"
)

// listParams are the parameters every list route takes beside its filters.
var listParams = []string{fLimit, fCursor, fFormat, fLang}

// Page sizes.
const (
	defaultLimit = 50
	maxLimit     = 500
	// maxCursor bounds the cursor a request may carry, before any decoding.
	maxCursor = 512
)

// column is one column of a list: the JSON field it shows and its header
// words in Chinese and English.
type column struct {
	Field  string
	ZH, EN string
}

// listSpec declares a list route: its name (the JSON key of its rows and
// the CSV file's name) and its columns.
type listSpec struct {
	Name    string
	Columns []column
}

// pager reads the rows after after (nil: from the first), at most limit of
// them, with each row's key: the position the next page starts after.
type pager[K, V any] func(ctx context.Context, after *K, limit int) (rows []V, keys []K, err error)

// cursors seal and open the list cursors: the last row's key as JSON, and
// an HMAC over the list's name, its filters and the key, so that a cursor
// another list or another filter gave, or one made by hand, is refused
// rather than read.
type cursors struct{ key []byte }

// newCursors keys the cursors with secret, or with a random key (cursors
// then last as long as the process) when it is empty.
func newCursors(secret []byte) cursors {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			panic(err) // crypto/rand does not fail on supported systems
		}
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("yizhan-hub list cursor"))
	return cursors{key: m.Sum(nil)}
}

func (c cursors) mac(list, filters string, payload []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(list))
	m.Write([]byte{0})
	m.Write([]byte(filters))
	m.Write([]byte{0})
	m.Write(payload)
	return m.Sum(nil)[:16]
}

func (c cursors) seal(list, filters string, key any) string {
	payload, _ := json.Marshal(key)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(c.mac(list, filters, payload))
}

func (c cursors) open(list, filters, s string, key any) error {
	bad := problem.New(problem.RequestBadCursor)
	if len(s) > maxCursor {
		return bad
	}
	p, m, ok := strings.Cut(s, ".")
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p)
	sum, err2 := enc.DecodeString(m)
	if !ok || err1 != nil || err2 != nil || !hmac.Equal(sum, c.mac(list, filters, payload)) {
		return bad
	}
	d := json.NewDecoder(bytes.NewReader(payload))
	d.DisallowUnknownFields()
	if d.Decode(key) != nil {
		return bad
	}
	return nil
}

// filtersOf is the query without the list mechanism's own parameters, in
// one spelling: what a cursor is bound to.
func filtersOf(q url.Values) string {
	f := url.Values{}
	for k, v := range q {
		switch k {
		case fLimit, fCursor, fFormat, fLang:
		default:
			f[k] = v
		}
	}
	return f.Encode()
}

// listArgs are the list mechanism's parameters of one request.
type listArgs struct {
	limit int
	csv   bool
	lang  string
}

func readListArgs(q url.Values) (listArgs, error) {
	la := listArgs{limit: defaultLimit, lang: "zh"}
	if s := q.Get(fLimit); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return la, problem.New(problem.RequestBadLimit, "max", maxLimit)
		}
		la.limit = n
	}
	switch q.Get(fFormat) {
	case "", "json":
	case "csv":
		la.csv = true
	default:
		return la, problem.New(problem.RequestBadFormat)
	}
	switch l := q.Get(fLang); l {
	case "", "zh":
	case "en":
		la.lang = l
	default:
		return la, problem.New(problem.RequestBadLang)
	}
	return la, nil
}

// serveList answers one list request of spec through page: a JSON page
// {"<name>": [...], "next": cursor|null}, or with ?format=csv every row.
// The route has checked its filters (onlyFilters with listParams).
func serveList[K, V any](a *api, w http.ResponseWriter, r *http.Request, spec listSpec, page pager[K, V]) {
	q := r.URL.Query()
	la, err := readListArgs(q)
	if err != nil {
		writeErr(w, err)
		return
	}
	filters := filtersOf(q)
	var after *K
	if s := q.Get(fCursor); s != "" {
		after = new(K)
		if err := a.cursors.open(spec.Name, filters, s, after); err != nil {
			writeErr(w, err)
			return
		}
	}
	if la.csv {
		writeCSV(a, w, r, spec, la.lang, after, page)
		return
	}
	// One row more than the page tells whether another page follows.
	rows, keys, err := page(r.Context(), after, la.limit+1)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var next *string
	if len(rows) > la.limit {
		rows, keys = rows[:la.limit], keys[:la.limit]
		c := a.cursors.seal(spec.Name, filters, keys[len(keys)-1])
		next = &c
	}
	if rows == nil {
		rows = []V{}
	}
	writeJSON(w, http.StatusOK, map[string]any{spec.Name: rows, "next": next})
}

// pageAfter cuts a page from rows the store answers whole (outlets,
// accounts, tokens: thousands at most): up to limit rows whose key comes
// after *after (from the first if nil), in key order, with their keys.
func pageAfter[V any](rows []V, key func(V) string, after *string, limit int) ([]V, []string) {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b V) int { return strings.Compare(key(a), key(b)) })
	if after != nil {
		i, _ := slices.BinarySearchFunc(rows, *after, func(v V, k string) int { return strings.Compare(key(v), k) })
		for i < len(rows) && key(rows[i]) <= *after {
			i++
		}
		rows = rows[i:]
	}
	rows = rows[:min(limit, len(rows))]
	keys := make([]string, len(rows))
	for i, v := range rows {
		keys[i] = key(v)
	}
	return rows, keys
}

// csvPage is how many rows a CSV export reads from the store at a time.
const csvPage = maxLimit

// utf8BOM starts every CSV file, so that Excel reads it as UTF-8.
const utf8BOM = "\ufeff"

// writeCSV answers every row page reads from after on as CSV, page by
// page from the store. Once the first byte is out, an error can only end
// the file early; it is logged.
func writeCSV[K, V any](a *api, w http.ResponseWriter, r *http.Request, spec listSpec, lang string, after *K, page pager[K, V]) {
	rows, keys, err := page(r.Context(), after, csvPage)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	name := spec.Name + "-" + a.now().Format("2006-01-02") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(utf8BOM))
	cw := csv.NewWriter(w)
	head := make([]string, len(spec.Columns))
	for i, c := range spec.Columns {
		head[i] = c.ZH
		if lang == "en" {
			head[i] = c.EN
		}
	}
	_ = cw.Write(head)
	for {
		for _, row := range rows {
			if err := cw.Write(csvCells(spec.Columns, row)); err != nil {
				return // the client went away
			}
		}
		cw.Flush()
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if len(rows) < csvPage {
			return
		}
		last := keys[len(keys)-1]
		if rows, keys, err = page(r.Context(), &last, csvPage); err != nil {
			a.opt.Logger.Error("CSV export cut short", "list", spec.Name, "err", err)
			return
		}
	}
}

// csvCells are row's values of cols, from its JSON: strings as they are,
// numbers and booleans as JSON writes them, null empty, objects and lists
// as compact JSON. A text cell that a spreadsheet would take for a formula
// (starting with = + - @, or a tab or carriage return) gets a leading '.
func csvCells(cols []column, row any) []string {
	js, _ := json.Marshal(row)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(js, &m)
	out := make([]string, len(cols))
	for i, c := range cols {
		raw, ok := m[c.Field]
		if !ok || string(raw) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out[i] = neutralise(s)
			continue
		}
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil {
			out[i] = b.String()
		}
		if raw[0] == '{' || raw[0] == '[' {
			out[i] = neutralise(out[i])
		}
	}
	return out
}

// neutralise keeps a spreadsheet from running s as a formula.
func neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// now is head office's time, for file names.
func (a *api) now() time.Time {
	if a.opt.Cases != nil {
		return a.opt.Cases.Now()
	}
	return time.Now()
}
