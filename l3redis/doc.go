// Package l3redis keeps what level3 clients share across processes and
// machines in Redis: the memory of permanent redirects and the response
// cache (stores.go), the work list, leases and results of distributed bulk
// uploads (queue*.go), and the budgets that make a fleet of clients one
// polite client (limits*.go).
//
// It is the only package of the module that imports
// github.com/redis/go-redis/v9, so programs that do not use Redis do not
// link it. Connect with [Dial], which takes a redis:// URL.
package l3redis
