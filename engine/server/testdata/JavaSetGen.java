import java.util.*;

// Generates javaset.golden (java JavaSetGen.java > javaset.golden): random HashSet<String>
// histories (adds, removes, clones, the DataNode HashSet(8) start) and the
// iteration order Java 17 gives after each step.
public class JavaSetGen {
    public static void main(String[] a) {
        Random r = new Random(42);
        StringBuilder out = new StringBuilder();
        String[] stems = {"/bench/eph-", "/e/", "n", "/a/b/seq-", "x"};
        for (int c = 0; c < 60; c++) {
            int init = r.nextInt(3) == 0 ? 8 : 0;
            HashSet<String> s = init == 8 ? new HashSet<>(8) : new HashSet<>();
            out.append("new ").append(init).append('\n');
            List<String> members = new ArrayList<>();
            int steps = 1 + r.nextInt(c < 30 ? 20 : 150);
            for (int i = 0; i < steps; i++) {
                int op = r.nextInt(10);
                if (op < 7 || members.isEmpty()) {
                    String k = stems[r.nextInt(stems.length)] + String.format("%010d", r.nextInt(c < 10 ? 40 : 5000));
                    s.add(k);
                    if (!members.contains(k)) members.add(k);
                    out.append("add ").append(k).append('\n');
                } else if (op < 9) {
                    String k = members.remove(r.nextInt(members.size()));
                    s.remove(k);
                    out.append("remove ").append(k).append('\n');
                } else {
                    s = (HashSet<String>) s.clone();
                    out.append("clone\n");
                }
            }
            out.append("expect ").append(String.join(",", s)).append('\n');
            s = (HashSet<String>) s.clone();
            out.append("clone\nexpect ").append(String.join(",", s)).append('\n');
        }
        System.out.print(out);
    }
}
