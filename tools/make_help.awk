# `make help`: prints the help lines of the makefiles it is given, one line
# per target, grouped. A help line sits next to its target's rule:
#
#   #help Group: target  what it does [KNOB=default OTHER=<what>]
#
# Groups come in the order of the variable `groups` (space-separated, set
# with awk -v), then any other group in the order it first appears, so a
# help line with a new group is still printed.

/^#help [A-Za-z-]+: / {
    colon = index($0, ":")
    group = substr($0, 7, colon - 7)
    rest = substr($0, colon + 1)
    sub(/^ +/, "", rest)
    target = rest
    sub(/ .*/, "", target)
    text = substr(rest, length(target) + 1)
    sub(/^ +/, "", text)
    if (!(group in lines)) {
        seen[++count] = group
    }
    lines[group] = lines[group] sprintf("  make %-15s %s\n", target, text)
}

END {
    printed = 0
    wanted = split(groups, order, " ")
    for (i = 1; i <= wanted; i++) {
        show(order[i])
    }
    for (i = 1; i <= count; i++) {
        show(seen[i])
    }
}

function show(group) {
    if (!(group in lines) || (group in done)) {
        return
    }
    done[group] = 1
    if (printed++) {
        print ""
    }
    print group ":"
    printf "%s", lines[group]
}
