// Package backlog gives tests an address that cannot be connected to in
// time: a loopback listener whose accept queue is full, so that the kernel
// drops further handshakes and a dial waits until its timeout. It is for
// tests of connect timeouts only (Linux; elsewhere the tests are skipped).
package backlog
