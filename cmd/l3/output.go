// This file holds how l3 creates the files it writes (`get -o`): a
// temporary part file beside the target, renamed into place only when
// complete, with the mode os.Create and curl -o give a new file, 0666 minus
// the umask, the same as the library's downloads (`l3 download`).

package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// outputMode is the mode of the files l3 creates, before the umask.
const outputMode fs.FileMode = 0o666

// createPart creates a new temporary file beside target, named
// .NAME.RANDOM.part, with outputMode minus the umask. The caller writes it,
// closes it and renames it to target, or removes it.
func createPart(target string) (*os.File, error) {
	dir, base := filepath.Split(target)
	for range 100 {
		var b [6]byte
		_, _ = rand.Read(b[:])
		name := filepath.Join(dir, "."+base+"."+hex.EncodeToString(b[:])+".part")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, outputMode)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, &fs.PathError{Op: "create", Path: target + ".part", Err: fs.ErrExist}
}
