package server

import (
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"zkbench/engine/datatree"
	"zkbench/engine/jute"
)

// The ACL rules of ZooKeeper 3.8 with its two built-in authentication
// providers, "digest" and "ip" (ProviderRegistry's defaults). "world" is
// special-cased for the id "anyone" only, "auth" stands for the requester's
// authenticated ids, and "super" in a requester's ids bypasses every check.

// DigestAuth returns the id a "digest" AuthPacket with auth = "user:password"
// authenticates a session as: "user:" + base64(SHA-1("user:password")), as
// DigestAuthenticationProvider.generateDigest computes it. ACLs name digest
// users the same way.
func DigestAuth(auth []byte) jute.ID {
	user, _, _ := strings.Cut(string(auth), ":")
	sum := sha1.Sum(auth)
	return jute.ID{Scheme: "digest", ID: user + ":" + base64.StdEncoding.EncodeToString(sum[:])}
}

// checkACL is ZooKeeperServer.checkACL: whether ids may do perm on a node
// with the given ACL. An empty ACL allows everything.
func checkACL(acl []jute.ACL, perm int32, ids []jute.ID) bool {
	if len(acl) == 0 {
		return true
	}
	for _, id := range ids {
		if id.Scheme == "super" {
			return true
		}
	}
	for _, a := range acl {
		if a.Perms&perm == 0 {
			continue
		}
		if a.ID.Scheme == "world" && a.ID.ID == "anyone" {
			return true
		}
		for _, id := range ids {
			if id.Scheme == a.ID.Scheme && providerMatches(a.ID.Scheme, id.ID, a.ID.ID) {
				return true
			}
		}
	}
	return false
}

// providerMatches is ServerAuthenticationProvider.matches for the built-in
// providers; schemes without a provider match nothing.
func providerMatches(scheme, id, aclExpr string) bool {
	switch scheme {
	case "digest":
		return id == aclExpr
	case "ip":
		return ipMatches(id, aclExpr)
	}
	return false
}

// providerValid is ServerAuthenticationProvider.isValid; schemes without a
// provider are never valid.
func providerValid(scheme, id string) bool {
	switch scheme {
	case "digest":
		return len(javaSplit(id, ':')) == 2
	case "ip":
		addr, bits, ok := strings.Cut(id, "/")
		a, valid := ipv4(addr)
		if !valid {
			return false
		}
		if ok {
			n, err := strconv.ParseInt(bits, 10, 32)
			return err == nil && n >= 0 && n <= int64(len(a))*8
		}
		return true
	}
	return false
}

// authenticated is ServerAuthenticationProvider.isAuthenticated: the ids an
// "auth" ACL expands to. IP ids are not authenticated; super has no
// provider.
func authenticated(scheme string) bool { return scheme == "digest" }

// javaSplit is String.split with a one-character regex: trailing empty
// strings are dropped, so "a:" has one part and ":" none; "" has one.
func javaSplit(s string, sep byte) []string {
	if s == "" {
		return []string{""}
	}
	parts := strings.Split(s, string(sep))
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// ipv4 is IPAuthenticationProvider.v4addr2Bytes (3.8 knows no IPv6): four
// dot-separated decimal numbers in [0, 255], parsed like Integer.parseInt.
func ipv4(s string) ([]byte, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return nil, false
	}
	b := make([]byte, 4)
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 32)
		if err != nil || v < 0 || v > 255 {
			return nil, false
		}
		b[i] = byte(v)
	}
	return b, true
}

// ipMatches is IPAuthenticationProvider.matches: id (the client's address)
// is inside the ACL's "addr[/bits]".
func ipMatches(id, aclExpr string) bool {
	addr, bitsStr, hasBits := strings.Cut(aclExpr, "/")
	acl, ok := ipv4(addr)
	if !ok {
		return false
	}
	bits := len(acl) * 8
	if hasBits {
		n, err := strconv.ParseInt(bitsStr, 10, 32)
		if err != nil || n < 0 || n > int64(bits) {
			return false
		}
		bits = int(n)
	}
	remote, ok := ipv4(id)
	if !ok {
		return false
	}
	for i := range acl {
		keep := min(max(bits-8*i, 0), 8)
		mask := byte(0xff << (8 - keep))
		if remote[i]&mask != acl[i]&mask {
			return false
		}
	}
	return true
}

// fixupACL is PrepRequestProcessor.fixupACL: drop duplicates, reject an
// empty list and ids no provider accepts, and expand "auth" into the
// requester's authenticated ids.
func fixupACL(acls []jute.ACL, ids []jute.ID) ([]jute.ACL, datatree.Code) {
	uniq := make([]jute.ACL, 0, len(acls))
	for _, a := range acls {
		if !slices.Contains(uniq, a) {
			uniq = append(uniq, a)
		}
	}
	if len(uniq) == 0 {
		return nil, datatree.InvalidACL
	}
	out := make([]jute.ACL, 0, len(uniq))
	for _, a := range uniq {
		switch {
		case a.ID.Scheme == "world" && a.ID.ID == "anyone":
			out = append(out, a)
		case a.ID.Scheme == "auth":
			valid := false
			for _, id := range ids {
				if authenticated(id.Scheme) {
					valid = true
					out = append(out, jute.ACL{Perms: a.Perms, ID: id})
				}
			}
			if !valid {
				return nil, datatree.InvalidACL
			}
		default:
			if !providerValid(a.ID.Scheme, a.ID.ID) {
				return nil, datatree.InvalidACL
			}
			out = append(out, a)
		}
	}
	return out, datatree.Ok
}

// redactACL is what getACL returns to a reader without ADMIN: digest ids
// keep the user and lose the hash ("user:x").
func redactACL(acl []jute.ACL) []jute.ACL {
	out := make([]jute.ACL, len(acl))
	for i, a := range acl {
		if a.ID.Scheme == "digest" {
			// id.replaceAll(":.*", ":x")
			if i := strings.IndexByte(a.ID.ID, ':'); i >= 0 {
				a.ID.ID = a.ID.ID[:i] + ":x"
			}
		}
		out[i] = a
	}
	return out
}
