package syncproto

// eventsCount returns how many elements the "events" array of a batch body
// holds, or -1 if the body has no such key or it is null, without decoding
// them. It reads only bodies of the shape senders write: one object whose
// keys are plain ASCII (no escapes), at most one of them "events" in any
// case. For any other body ok is false and the caller counts with
// encoding/json, which knows every other rule for matching keys.
//
// The count is exact for valid JSON. For invalid JSON it may be anything;
// that is harmless because json.Unmarshal refuses invalid JSON before it
// decodes, so allocates, anything.
func eventsCount(data []byte) (n int, ok bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return 0, false
	}
	n, seen := -1, false
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return -1, true
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return 0, false
		}
		j := i + 1
		for j < len(data) && data[j] != '"' {
			if data[j] == '\\' || data[j] >= 0x80 {
				return 0, false
			}
			j++
		}
		if j >= len(data) {
			return 0, false
		}
		events := isEventsKey(data[i+1 : j])
		i = skipSpace(data, j+1)
		if i >= len(data) || data[i] != ':' {
			return 0, false
		}
		i = skipSpace(data, i+1)
		if i >= len(data) {
			return 0, false
		}
		start := data[i]
		end, elems, ok := skipValue(data, i)
		if !ok {
			return 0, false
		}
		if events {
			switch {
			case seen:
				return 0, false // the last one counts; leave that to encoding/json
			case start == 'n':
				n = -1
			case start == '[':
				n = elems
			default:
				return 0, false
			}
			seen = true
		}
		i = skipSpace(data, end)
		if i >= len(data) {
			return 0, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return n, true
		default:
			return 0, false
		}
	}
}

// isEventsKey reports whether an ASCII key is "events" in any case, as
// encoding/json matches it to Batch.Events.
func isEventsKey(k []byte) bool {
	const want = "events"
	if len(k) != len(want) {
		return false
	}
	for i := range k {
		if k[i]|0x20 != want[i] {
			return false
		}
	}
	return true
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the end of the JSON value starting at data[i] and, if
// it is an array, how many elements it holds. It matches brackets only by
// depth and does not check literals: see eventsCount for why that is enough.
func skipValue(data []byte, i int) (end, elems int, ok bool) {
	if c := data[i]; c != '{' && c != '[' && c != '"' {
		// A number or literal ends at the first byte that cannot be in one.
		for ; i < len(data); i++ {
			switch data[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i, 0, true
			}
		}
		return i, 0, true
	}
	depth, commas, nonEmpty := 0, 0, false
	for ; i < len(data); i++ {
		c := data[i]
		if depth == 1 {
			switch c {
			case ' ', '\t', '\n', '\r', ']', '}':
			case ',':
				commas++
			default:
				nonEmpty = true
			}
		}
		switch c {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			if i >= len(data) {
				return 0, 0, false
			}
			if depth == 0 {
				return i + 1, 0, true
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return 0, 0, false
			}
			if depth == 0 {
				if nonEmpty {
					elems = commas + 1
				}
				return i + 1, elems, true
			}
		}
	}
	return 0, 0, false
}
