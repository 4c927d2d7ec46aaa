// This file holds what the commands that change state (patch, delete,
// submit, trigger) print about a level3.Result: a one-line summary on
// stderr, and on stdout the representation, or else the URL the server
// pointed to, so that scripts can capture either.

package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/l3go/level3"
)

// printResult writes res: the summary to s.err, the body (data, as it came)
// or location to s.out.
func printResult(s streams, res *level3.Result) error {
	fmt.Fprintf(s.err, "%s\n", inert(summary(res)))
	switch {
	case len(res.Body) > 0:
		if _, err := s.out.Write(res.Body); err != nil {
			return err
		}
		if res.Body[len(res.Body)-1] != '\n' {
			_, err := io.WriteString(s.out, "\n")
			return err
		}
	case res.Location != nil:
		_, err := fmt.Fprintln(s.out, inert(res.Location.String()))
		return err
	}
	return nil
}

// summary describes res in one line: status, location, validators.
func summary(res *level3.Result) string {
	parts := []string{fmt.Sprintf("%d %s", res.Status, http.StatusText(res.Status))}
	if res.Location != nil {
		parts = append(parts, "location "+res.Location.String())
	}
	parts = append(parts, validatorText(res.Validators)...)
	return strings.Join(parts, ", ")
}

// validatorText lists the validators that are present.
func validatorText(v level3.Validators) []string {
	var out []string
	if v.ETag != "" {
		out = append(out, "etag "+v.ETag)
	}
	if !v.LastModified.IsZero() {
		out = append(out, "last-modified "+v.LastModified.UTC().Format(time.RFC1123))
	}
	return out
}
