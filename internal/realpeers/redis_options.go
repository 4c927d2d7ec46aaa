// This file holds the options of Redis (redis.go): RedisAppendOnly, for
// tests in which Redis must keep its data across Stop and Restart, as a
// work queue's server would.

package realpeers

// RedisOption configures the server [Redis] starts.
type RedisOption func(*RedisServer)

// RedisAppendOnly turns persistence on: every write is appended to a file
// and synced before Redis answers (appendonly yes, appendfsync always), so
// that Restart after Stop comes back with everything acknowledged before,
// as a Redis that holds a work queue is configured.
func RedisAppendOnly() RedisOption { return func(r *RedisServer) { r.appendOnly = true } }

// persistence returns the configuration lines for r's persistence.
func (r *RedisServer) persistence() string {
	if r.appendOnly {
		return "appendonly yes\nappendfsync always\n"
	}
	return "appendonly no\n"
}
