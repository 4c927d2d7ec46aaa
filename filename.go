// This file chooses the name of a downloaded file when the caller gives a
// directory: it parses content-disposition (RFC 6266, with RFC 8187
// filename*) and makes whatever name the server sends safe to create inside
// that directory. download.go uses it; the RFC 8187 decoder is shared with the
// link parser (linkext.go).

package level3

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// defaultFileName is the name of a download when neither content-disposition
// nor the URL path gives a usable one.
const defaultFileName = "download"

// maxFileNameBytes bounds a chosen name so that it and the longest sibling a
// download creates (NAME.part.json.tmp) fit the 255-byte limit of common
// file systems.
const maxFileNameBytes = 255 - len(partSuffix+sidecarSuffix+".tmp")

// downloadFileName returns the name to save a response for u under: the
// filename* or filename parameter of content-disposition (filename* wins,
// RFC 6266 §4.3), else the last segment of the URL path, made safe by
// safeFileName; defaultFileName when neither yields a name.
func downloadFileName(h http.Header, u *url.URL) string {
	if _, name := parseContentDisposition(h.Get("Content-Disposition")); name != "" {
		if safe := safeFileName(name); safe != "" {
			return safe
		}
	}
	if u != nil {
		p := u.EscapedPath()
		if i := strings.LastIndexByte(p, '/'); i >= 0 {
			p = p[i+1:]
		}
		if seg, err := url.PathUnescape(p); err == nil {
			p = seg
		}
		if safe := safeFileName(p); safe != "" {
			return safe
		}
	}
	return defaultFileName
}

// parseContentDisposition parses a content-disposition value (RFC 6266 §4.1):
//
//	content-disposition = disposition-type *( OWS ";" OWS disposition-parm )
//
// and returns the disposition type (lower case) and the file name: the
// decoded filename* (RFC 8187 ext-value, UTF-8 or ISO-8859-1) when present
// and valid, else filename (token or quoted-string; obs-text read as
// ISO-8859-1). The name is returned as sent, not yet safe to use as a path:
// pass it to safeFileName. Parsing is lenient in the way browsers are: a
// missing type, unquoted values with spaces, a quoted filename*, and
// repeated parameters (the first wins) are accepted; it never fails, it
// returns "" for what it cannot read.
func parseContentDisposition(v string) (dispType, filename string) {
	var plain, ext string
	var havePlain, haveExt bool
	first := true
	for len(v) > 0 {
		var part string
		part, v = nextDispositionPart(v)
		part = strings.TrimSpace(part)
		name, value, isParam := strings.Cut(part, "=")
		if first {
			first = false
			if !isParam {
				dispType = strings.ToLower(part)
				continue
			}
		}
		if !isParam {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		switch name {
		case "filename":
			if !havePlain {
				plain, havePlain = unquoteDisposition(value), true
			}
		case "filename*":
			if !haveExt {
				if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
					value = value[1 : len(value)-1] // not allowed, but sent
				}
				if text, _, ok := linkDecodeExtValue(value); ok {
					ext, haveExt = text, true
				}
			}
		}
	}
	if haveExt && ext != "" {
		return dispType, ext
	}
	return dispType, plain
}

// nextDispositionPart returns the text up to the next ";" outside a quoted
// string, and what follows it.
func nextDispositionPart(v string) (part, rest string) {
	inQuote := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == ';':
			return v[:i], v[i+1:]
		}
	}
	return v, ""
}

// unquoteDisposition returns a token as is and a quoted-string without its
// quotes and backslash escapes; bytes that are not UTF-8 are read as
// ISO-8859-1 (obs-text).
func unquoteDisposition(v string) string {
	if len(v) >= 1 && v[0] == '"' {
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			c := v[i]
			if c == '\\' && i+1 < len(v) {
				i++
				b.WriteByte(v[i])
				continue
			}
			if c == '"' {
				break
			}
			b.WriteByte(c)
		}
		v = b.String()
	}
	return linkTitleText(v)
}

// safeFileName turns a name chosen by a server into one that can be created
// inside a directory without leaving it or surprising its owner, on any
// operating system, or returns "" when nothing usable remains:
//
//   - only the part after the last "/" or "\" is kept: no directories, no "..";
//   - invalid UTF-8, control characters (NUL included), format characters
//     (bidirectional overrides, zero-width spaces), other non-printing
//     characters, the characters Windows forbids (<>:"|?*) and look-alikes
//     of "/" and "\" become "_";
//   - leading dots and spaces are removed (no hidden files, no "." or ".."),
//     and so are trailing dots and spaces (Windows drops them);
//   - Windows device names (CON, PRN, AUX, NUL, COM0-9, LPT0-9, also with an
//     extension, any case) get a "_" prefix;
//   - the result is at most maxFileNameBytes long, cut at a character
//     boundary, keeping a short extension.
func safeFileName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		if unsafeNameRune(r) {
			r = '_'
		}
		b.WriteRune(r)
	}
	name = trimName(b.String())
	if name == "" {
		return ""
	}
	if reservedWindowsName(name) {
		name = "_" + name
	}
	if len(name) > maxFileNameBytes {
		name = trimName(shortenName(name, maxFileNameBytes))
	}
	return name
}

// unsafeNameRune reports whether r must not appear in a file name.
func unsafeNameRune(r rune) bool {
	switch r {
	case '<', '>', ':', '"', '/', '\\', '|', '?', '*',
		'\u2044', '\u2215', '\u29f8', '\u29f9', '\uff0f', '\uff3c', '\ufe68': // slash and backslash look-alikes
		return true
	}
	return r != ' ' && !unicode.IsPrint(r) || unicode.Is(unicode.Cf, r)
}

// trimName removes leading dots and spaces and trailing dots and spaces.
func trimName(s string) string {
	s = strings.TrimLeft(s, ". ")
	return strings.TrimRight(s, ". ")
}

// reservedWindowsName reports whether name, or the part before its first
// dot, is a Windows device name.
func reservedWindowsName(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$":
		return true
	}
	if len(stem) >= 4 && (strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT")) {
		switch stem[3:] {
		case "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
			return true
		}
	}
	return false
}

// shortenName cuts name to at most n bytes at a character boundary, keeping
// an extension of up to 16 bytes.
func shortenName(name string, n int) string {
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
		ext = name[i:]
	}
	stem := name[:len(name)-len(ext)]
	limit := n - len(ext)
	for limit > 0 && limit < len(stem) && !utf8.RuneStart(stem[limit]) {
		limit--
	}
	return stem[:min(limit, len(stem))] + ext
}
