// Package server is the request pipeline of one ensemble member, in the
// shape of ZooKeeper 3.8's request processors.
//
// The Preparer is the leader's first stage (PrepRequestProcessor): it turns
// a client write into the txn ZooKeeper would log — the same op code, body,
// error code and tree digest, byte for byte — validating it against the
// committed tree plus the outstanding changes of the writes prepared before
// it, so that a pipelined write sees the effect of the ones ahead of it.
// Reply and Read are the last stage (FinalRequestProcessor): the answer to a
// write once its txn is applied, and the answer to a read from a member's
// own tree.
//
// # Fidelity
//
// Validation order, error codes, sequential names, the rollback of a failed
// multi, the session-timeout negotiation and the digest arithmetic follow
// ZooKeeper 3.8.0's sources. Where ZooKeeper lets Java's HashSet iteration
// order show — the paths a closeSession txn lists, the order of getChildren
// — the order is reproduced by modelling the HashSet (javaset.go). The
// tests replay the client operations of the 3.8.0 standalone fixture and
// compare every prepared txn with the one ZooKeeper logged.
package server
