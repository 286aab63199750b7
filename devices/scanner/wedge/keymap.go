package wedge

import (
	"fmt"
	"sort"
	"strings"
)

// Linux key codes (linux/input-event-codes.h) the decoder knows by name.
const (
	keyEsc        = 1
	keyMinus      = 12
	keyEqual      = 13
	keyBackspace  = 14
	keyTab        = 15
	keyLeftBrace  = 26
	keyRightBrace = 27
	keyEnter      = 28
	keyLeftCtrl   = 29
	keyApostrophe = 40
	keyGrave      = 41
	keyLeftShift  = 42
	keyBackslash  = 43
	keyRightShift = 54
	keyLeftAlt    = 56
	keySpace      = 57
	keyCapsLock   = 58
	keyF1         = 59
	keyNumLock    = 69
	key102nd      = 86
	keyF11        = 87
	keyF12        = 88
	keyKPEnter    = 96
	keyRightCtrl  = 97
	keyRightAlt   = 100 // AltGr on European layouts
)

// keypad digits: KP0 is 82, KP1-3 79-81, KP4-6 75-77, KP7-9 71-73.
var keypadDigit = map[uint16]int{82: 0, 79: 1, 80: 2, 81: 3, 75: 4, 76: 5, 77: 6, 71: 7, 72: 8, 73: 9}

// functionKey maps "f1".."f12" to key codes.
func functionKey(name string) (uint16, bool) {
	var n int
	if _, err := fmt.Sscanf(strings.ToLower(name), "f%d", &n); err != nil || fmt.Sprintf("f%d", n) != strings.ToLower(name) {
		return 0, false
	}
	switch {
	case n >= 1 && n <= 10:
		return uint16(keyF1 + n - 1), true
	case n == 11:
		return keyF11, true
	case n == 12:
		return keyF12, true
	}
	return 0, false
}

// Keymap is the layout a scanner emulates: what character each key gives
// plain, with Shift and with AltGr. The decoder must use the same layout
// the scanner is set to, not the PC's: evdev sees key positions, and a
// scanner set to German sends the German key for '-' (the US '/' key).
type Keymap struct {
	Name string
	keys map[uint16][3]rune // plain, shift, altgr; 0 = nothing
	dead map[uint16]uint8   // dead keys: bit n set = layer n is dead; the character comes with Space
}

// keysFrom builds a keymap from rows of key codes and their characters.
func keysFrom(rows []row) map[uint16][3]rune {
	m := map[uint16][3]rune{}
	for _, r := range rows {
		plain, shift, altgr := []rune(r.plain), []rune(r.shift), []rune(r.altgr)
		for i := range plain {
			var v [3]rune
			v[0] = plain[i]
			if i < len(shift) && shift[i] != ' ' || r.first+uint16(i) == keySpace {
				v[1] = shift[i]
			}
			if i < len(altgr) && altgr[i] != ' ' {
				v[2] = altgr[i]
			}
			if v[0] == ' ' && r.first+uint16(i) != keySpace {
				v[0] = 0
			}
			m[r.first+uint16(i)] = v
		}
	}
	return m
}

type row struct {
	first               uint16
	plain, shift, altgr string // ' ' = nothing, except on the space bar
}

// common are the keys every layout here shares: space and the keypad.
var common = []row{
	{keySpace, " ", " ", ""},
	{71, "789-456+1230.", "789-456+1230.", ""},
	{55, "*", "*", ""},
	{98, "/", "/", ""},
}

// US is the US English layout, the default of most scanners.
var US = &Keymap{Name: "us", keys: keysFrom(append([]row{
	{2, "1234567890-=", "!@#$%^&*()_+", ""},
	{16, "qwertyuiop[]", "QWERTYUIOP{}", ""},
	{30, "asdfghjkl;'`", `ASDFGHJKL:"~`, ""},
	{43, `\zxcvbnm,./`, "|ZXCVBNM<>?", ""},
	{key102nd, `\`, "|", ""},
}, common...))}

// DE is German QWERTZ: Y and Z swapped, '-' on the US '/' key, '/' on
// Shift+7, '@' on AltGr+Q.
var DE = &Keymap{Name: "de", keys: keysFrom(append([]row{
	{2, "1234567890ß´", "!\"§$%&/()=?`", " ²³   {[]}\\ "},
	{16, "qwertzuiopü+", "QWERTZUIOPÜ*", "@ €        ~"},
	{30, "asdfghjklöä^", "ASDFGHJKLÖÄ°", ""},
	{43, "#yxcvbnm,.-", "'YXCVBNM;:_", "       µ   "},
	{key102nd, "<", ">", "|"},
}, common...)), dead: map[uint16]uint8{keyEqual: 0b11, keyGrave: 0b01}}

// FR is French AZERTY: digits need Shift, A/Q and Z/W swapped, M on the US
// ';' key.
var FR = &Keymap{Name: "fr", keys: keysFrom(append([]row{
	{2, "&é\"'(-è_çà)=", "1234567890°+", " ~#{[|`\\^@]}"},
	{16, "azertyuiop^$", "AZERTYUIOP¨£", "  €        ¤"},
	{30, "qsdfghjklmù²", "QSDFGHJKLM% ", ""},
	{43, "*wxcvbn,;:!", "µWXCVBN?./§", ""},
	{key102nd, "<", ">", ""},
}, common...)), dead: map[uint16]uint8{keyLeftBrace: 0b11}}

var keymaps = map[string]*Keymap{"us": US, "de": DE, "fr": FR}

// KeymapByName returns a built-in keymap: "us", "de" or "fr".
func KeymapByName(name string) (*Keymap, error) {
	if name == "" {
		return US, nil
	}
	km, ok := keymaps[strings.ToLower(name)]
	if !ok {
		var names []string
		for n := range keymaps {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("keymap %q: use one of %s", name, strings.Join(names, ", "))
	}
	return km, nil
}

// isLetterKey reports whether the key's plain character is a letter, so
// Caps Lock applies to it.
func (k *Keymap) isLetterKey(code uint16) bool {
	r := k.keys[code][0]
	return r >= 'a' && r <= 'z' || r == 'ü' || r == 'ö' || r == 'ä'
}

// stroke is how to type one character: a key and its modifier.
type stroke struct {
	code         uint16
	shift, altgr bool
}

// strokeFor finds how the layout types r, preferring no modifier.
func (k *Keymap) strokeFor(r rune) (stroke, bool) {
	best := stroke{}
	found := false
	for layer := 0; layer < 3 && !found; layer++ {
		var codes []uint16
		for code, v := range k.keys {
			if v[layer] == r {
				codes = append(codes, code)
			}
		}
		if len(codes) == 0 {
			continue
		}
		sort.Slice(codes, func(i, j int) bool { return codes[i] < codes[j] })
		best = stroke{code: codes[0], shift: layer == 1, altgr: layer == 2}
		found = true
	}
	return best, found
}

func (k *Keymap) isDead(code uint16, layer int) bool { return k.dead[code]&(1<<layer) != 0 }
