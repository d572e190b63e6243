package dev.dispatch.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * pdsh/ClusterShell host lists: {@code web[01-20],db[1-3,7],x} expands to each name, zero padding kept (as wide as
 * the range's first bound), brackets may repeat in one name ({@code r[1-2]n[1-2]}). Order is kept, duplicates dropped.
 */
final class HostList {
    private static final Pattern LAST_NUMBER = Pattern.compile("(.*?)([0-9]+)([^0-9]*)");

    private HostList() {}

    /** Expands each comma-separated item of {@code spec} (commas inside brackets belong to the range). */
    static List<String> expand(String spec) {
        Set<String> out = new LinkedHashSet<>();
        for (String item : splitTopLevel(spec)) {
            if (!item.isBlank()) {
                expandItem(item.strip(), out);
            }
        }
        return new ArrayList<>(out);
    }

    /** {@code hosts} minus every host {@code excludeSpec} expands to. */
    static List<String> exclude(List<String> hosts, String excludeSpec) {
        Set<String> drop = new LinkedHashSet<>(expand(excludeSpec));
        return hosts.stream().filter(h -> !drop.contains(h)).toList();
    }

    /**
     * The inverse of {@link #expand}: {@code hosts} as a compact list, names that differ only in their last number
     * (of the same digit count) folded into a range, {@code web01,web02,web03,db1} to {@code web[01-03],db1}. Folded
     * names come where their first name was; numbers in a range are sorted.
     */
    static String fold(List<String> hosts) {
        Map<String, TreeSet<Long>> numbers = new LinkedHashMap<>();
        Map<String, String[]> parts = new HashMap<>();
        for (String h : new LinkedHashSet<>(hosts)) {
            Matcher m = LAST_NUMBER.matcher(h);
            if (!m.matches() || m.group(2).length() > 18) {
                numbers.putIfAbsent("\0" + h, null);
                continue;
            }
            String digits = m.group(2);
            String key = m.group(1) + "\0" + digits.length() + "\0" + m.group(3);
            parts.putIfAbsent(key, new String[] {m.group(1), m.group(3), Integer.toString(digits.length())});
            numbers.computeIfAbsent(key, k -> new TreeSet<>()).add(Long.parseLong(digits));
        }
        List<String> items = new ArrayList<>();
        for (Map.Entry<String, TreeSet<Long>> e : numbers.entrySet()) {
            if (e.getValue() == null) {
                items.add(e.getKey().substring(1));
                continue;
            }
            String[] p = parts.get(e.getKey());
            String format = "%0" + p[2] + "d";
            TreeSet<Long> ns = e.getValue();
            if (ns.size() == 1) {
                items.add(p[0] + String.format(format, ns.first()) + p[1]);
                continue;
            }
            List<String> ranges = new ArrayList<>();
            Long start = null;
            Long prev = null;
            for (long n : ns) {
                if (start != null && n == prev + 1) {
                    prev = n;
                    continue;
                }
                if (start != null) {
                    ranges.add(range(format, start, prev));
                }
                start = n;
                prev = n;
            }
            ranges.add(range(format, start, prev));
            items.add(p[0] + "[" + String.join(",", ranges) + "]" + p[1]);
        }
        return String.join(",", items);
    }

    private static String range(String format, long from, long to) {
        return from == to ? String.format(format, from) : String.format(format, from) + "-" + String.format(format, to);
    }

    private static List<String> splitTopLevel(String spec) {
        List<String> items = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < spec.length(); i++) {
            char c = spec.charAt(i);
            if (c == '[') {
                depth++;
            } else if (c == ']') {
                if (--depth < 0) {
                    throw new IllegalArgumentException("unbalanced ']' in host list '" + spec + "'");
                }
            } else if (c == ',' && depth == 0) {
                items.add(spec.substring(start, i));
                start = i + 1;
            }
        }
        if (depth != 0) {
            throw new IllegalArgumentException("unclosed '[' in host list '" + spec + "'");
        }
        items.add(spec.substring(start));
        return items;
    }

    private static void expandItem(String item, Set<String> out) {
        int open = item.indexOf('[');
        if (open < 0) {
            out.add(item);
            return;
        }
        int close = item.indexOf(']', open);
        String prefix = item.substring(0, open);
        String rest = item.substring(close + 1);
        for (String value : rangeValues(item.substring(open + 1, close), item)) {
            expandItem(prefix + value + rest, out);
        }
    }

    private static List<String> rangeValues(String ranges, String item) {
        List<String> values = new ArrayList<>();
        for (String part : ranges.split(",", -1)) {
            String p = part.strip();
            int dash = p.indexOf('-');
            if (p.isEmpty()) {
                throw new IllegalArgumentException("empty range in '" + item + "'");
            }
            if (dash < 0) {
                requireDigits(p, item);
                values.add(p);
                continue;
            }
            String from = p.substring(0, dash);
            String to = p.substring(dash + 1);
            requireDigits(from, item);
            requireDigits(to, item);
            long a = Long.parseLong(from);
            long b = Long.parseLong(to);
            if (b < a) {
                throw new IllegalArgumentException("range " + p + " runs backwards in '" + item + "'");
            }
            if (b - a >= 100_000) {
                throw new IllegalArgumentException("range " + p + " is too large in '" + item + "'");
            }
            int width = from.length() > 1 && from.startsWith("0") ? from.length() : 0;
            for (long n = a; n <= b; n++) {
                values.add(width > 0 ? String.format("%0" + width + "d", n) : Long.toString(n));
            }
        }
        return values;
    }

    private static void requireDigits(String s, String item) {
        if (s.isEmpty() || !s.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("'" + s + "' is not a number in '" + item + "'");
        }
    }
}
