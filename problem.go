// This file decodes RFC 9457 problem details from error bodies. errors.go turns a
// response into a typed error and calls decodeProblem.

package level3

import (
	"bytes"
	"encoding/json"
	"mime"
	"strings"
)

// Problem holds RFC 9457 problem details (media type application/problem+json),
// the error format many Level 3 servers use for 4xx and 5xx bodies.
//
// Members of the wrong JSON type are ignored, as RFC 9457 §3.1 asks of clients.
// Extension members (any top-level member other than the five standard ones)
// are kept, undecoded, in Extensions.
type Problem struct {
	Type       string                     // URI identifying the problem type; "about:blank" when absent
	Title      string                     // short human-readable summary of the type
	Status     int                        // the status code the server meant; may differ from the response's
	Detail     string                     // explanation specific to this occurrence
	Instance   string                     // URI identifying this occurrence
	Extensions map[string]json.RawMessage // every other top-level member
}

// Extension decodes the extension member name into v. It reports whether the
// member was present and decoded without error.
func (p *Problem) Extension(name string, v any) bool {
	raw, ok := p.Extensions[name]
	if !ok {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// isProblemJSON reports whether the content type is application/problem+json.
func isProblemJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && strings.EqualFold(mt, "application/problem+json")
}

// decodeProblem parses body as problem details. It returns nil when the body is
// not a JSON object, so a lying content-type never produces a half-empty Problem.
func decodeProblem(body []byte) *Problem {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return nil
	}
	p := &Problem{Type: "about:blank"}
	for name, raw := range members {
		switch name {
		case "type":
			stringMember(raw, &p.Type)
		case "title":
			stringMember(raw, &p.Title)
		case "detail":
			stringMember(raw, &p.Detail)
		case "instance":
			stringMember(raw, &p.Instance)
		case "status":
			// A JSON number only: json.Number would also take "409".
			var f float64
			if json.Unmarshal(raw, &f) == nil && f == float64(int(f)) && f >= 100 && f <= 599 {
				p.Status = int(f)
			}
		default:
			if p.Extensions == nil {
				p.Extensions = make(map[string]json.RawMessage)
			}
			p.Extensions[name] = raw
		}
	}
	return p
}

// stringMember sets *dst when raw is a JSON string, and leaves it alone otherwise.
func stringMember(raw json.RawMessage, dst *string) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		*dst = s
	}
}
