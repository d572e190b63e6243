package dev.dispatch.cli;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * pdsh/ClusterShell host lists: {@code web[01-20],db[1-3,7],x} expands to each name, zero padding kept (as wide as
 * the range's first bound), brackets may repeat in one name ({@code r[1-2]n[1-2]}). Order is kept, duplicates dropped.
 */
final class HostList {
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
