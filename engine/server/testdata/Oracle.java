package org.apache.zookeeper.server;

import java.io.*;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.*;
import org.apache.jute.*;
import org.apache.zookeeper.data.Id;

// Differential oracle: feeds requests to ZooKeeper 3.8.0's own
// PrepRequestProcessor and prints each txn it prepares (header, body,
// digest) as hex; "A" applies the oldest prepared txn through
// ZooKeeperServer.processTxn, as FinalRequestProcessor would.
public class Oracle {
    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }
    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }
    public static void main(String[] args) throws Exception {
        File dir = Files.createTempDirectory("zkoracle").toFile();
        ZooKeeperServer zks = new ZooKeeperServer(dir, dir, 500);
        zks.startdata();
        zks.createSessionTracker();
        final LinkedList<Request> out = new LinkedList<>();
        RequestProcessor capture = new RequestProcessor() {
            public void processRequest(Request r) { out.add(r); }
            public void shutdown() { }
        };
        PrepRequestProcessor prep = new PrepRequestProcessor(zks, capture);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        Deque<Request> pending = new ArrayDeque<>();
        PrintStream o = new PrintStream(new BufferedOutputStream(System.out));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("A")) {
                zks.processTxn(pending.poll());
                continue;
            }
            String[] f = line.split(" ");
            long sess = Long.parseLong(f[1]);
            int cxid = Integer.parseInt(f[2]);
            int type = Integer.parseInt(f[3]);
            ByteBuffer bb = f[4].equals("-") ? null : ByteBuffer.wrap(unhex(f[4]));
            List<Id> auth = new ArrayList<>();
            BinaryInputArchive ia = BinaryInputArchive.getArchive(new ByteArrayInputStream(unhex(f[5])));
            int n = ia.readInt("n");
            for (int i = 0; i < n; i++) { Id id = new Id(); id.deserialize(ia, "id"); auth.add(id); }
            Request r = new Request(null, sess, cxid, type, bb, auth);
            prep.pRequest(r);
            Request done = out.poll();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            BinaryOutputArchive oa = BinaryOutputArchive.getArchive(b);
            if (done.getHdr() == null) { o.println("NONE"); continue; }
            done.getHdr().serialize(oa, "hdr");
            if (done.getTxn() != null) done.getTxn().serialize(oa, "txn");
            if (done.getTxnDigest() != null) done.getTxnDigest().serialize(oa, "digest");
            o.println(hex(b.toByteArray()));
            pending.add(done);
        }
        o.flush();
    }
}
