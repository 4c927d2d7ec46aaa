// This file holds redactedURL: Redis URLs in errors and logs never show a
// password.

package l3redis

import "github.com/l3go/level3/internal/redact"

// redactedURL returns rawURL with its password (and any credential-like
// query value) hidden, as every URL this package prints.
func redactedURL(rawURL string) string { return redact.String(rawURL) }
