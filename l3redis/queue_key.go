// This file holds the names a run derives: each item's idempotency key
// (uuid5) and a worker's name in the consumer group (consumerName).

package l3redis

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
)

// keyNamespace is the namespace UUID of idempotency keys of bulk runs
// (random, fixed once).
var keyNamespace = [16]byte{0x6b, 0x1e, 0x2f, 0x0c, 0x93, 0x4a, 0x4d, 0x51, 0xa6, 0x0e, 0x58, 0x3d, 0xc2, 0x77, 0x19, 0xb4}

// uuid5 returns the name-based UUID (version 5: SHA-1, RFC 9562 §5.5) of
// name in keyNamespace, in its text form: a well-formed idempotency key that
// the same name always gives.
func uuid5(name string) string {
	h := sha1.New()
	h.Write(keyNamespace[:])
	h.Write([]byte(name))
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// consumerName names a worker in a run's consumer group: host, process and
// a random suffix, so that two workers of one process differ, and logs say
// where a lease is held.
func consumerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}
