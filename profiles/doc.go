// Package profiles names and compares the profile URIs that a Level 3 REST
// resource declares in its `profile` response header, and parses that header.
//
// A Level 3 resource announces how a client may use it with a list of
// profiles: one base profile ([Home], [Nexus], [Info], [Data], [Content],
// [Alias], [Action], [Form], [Lookup] or [Upload]), any number of mixins
// ([Entity], [Preflight], [Representation], [Async]) and the roles it plays
// in patterns ([RoleList], [RolePaged], ...). For example:
//
//	profile: <https://level3.rest/profiles/data>, <https://level3.rest/profiles/mixins/entity>
//
// Servers built to the older draft of the specification spell the same URIs
// with `http://` and call the entry point Root instead of Home. [Profile.Equal]
// and [Set.Has] treat both spellings as one profile, so client code can test
// against the constants of this package whatever draft the server follows.
//
// The pattern link relations ([RelListEntry], [RelPageNext], ...) are untyped
// string constants for use with a Link header parser; compare relations with
// [SameURI] or [SameRel].
//
// Files: profiles.go holds [Profile], the profile constants and the
// comparison functions; parse.go holds [Parse], [Set] and the syntax errors;
// relations.go holds the pattern roles and link relations.
package profiles
