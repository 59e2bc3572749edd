//! The browser's process tree as Linux shows it in `/proc`: Chromium forks a
//! zygote, renderers and utility processes under its main process, so its
//! memory is the sum over the tree, and stopping it means killing the tree.

use std::collections::HashMap;

/// The parent of each process now running (pid → ppid), read from `/proc/*/stat`.
fn parents() -> HashMap<u32, u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return HashMap::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Some((pid, parse_ppid(&stat)?))
        })
        .collect()
}

/// The ppid of a `/proc/PID/stat` line: the field after the state, after the
/// command name in parentheses (which may itself hold spaces and parentheses).
fn parse_ppid(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// `root` and every process descending from it, root first.
pub fn tree(root: u32) -> Vec<u32> {
    let parents = parents();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&pid, &ppid) in &parents {
        children.entry(ppid).or_default().push(pid);
    }
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        let kids: Vec<u32> = children.get(&found[next]).into_iter().flatten().copied().collect();
        found.extend(kids.into_iter().filter(|k| *k != root));
        next += 1;
    }
    found
}

/// Memory of one process in bytes: its proportional set size (`Pss` in
/// `smaps_rollup`: resident pages, each shared page divided among its sharers,
/// so that a tree's sum counts shared libraries once), else `VmRSS`; 0 once it
/// is gone or a zombie.
pub fn memory(pid: u32) -> u64 {
    let field = |file: &str, name: &str| -> Option<u64> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
        let kib = text.lines().find_map(|l| l.strip_prefix(name))?.trim().trim_end_matches("kB").trim().parse::<u64>();
        kib.ok().map(|k| k * 1024)
    };
    field("smaps_rollup", "Pss:").or_else(|| field("status", "VmRSS:")).unwrap_or(0)
}

/// Memory of `root`'s whole tree, in bytes (see [`memory`]).
pub fn tree_rss(root: u32) -> u64 {
    tree(root).into_iter().map(memory).sum()
}

/// Kills `root`'s whole tree with SIGKILL, children first read while the
/// parent still holds them (a killed parent's children are reparented).
pub fn kill_tree(root: u32) {
    kill_all(&tree(root));
}

/// Sends SIGKILL to each of `pids` still running, last first.
pub fn kill_all(pids: &[u32]) {
    for &pid in pids.iter().rev().filter(|p| **p != 0 && alive(**p)) {
        // SAFETY: kill(2) with a pid read from /proc; no memory is shared.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
        }
    }
}

/// True while `pid` runs (a zombie does not).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| Some(s[s.rfind(')')? + 1..].split_whitespace().next()? != "Z"))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_names() {
        assert_eq!(parse_ppid("42 (chromium) S 7 42 42 0 -1"), Some(7));
        assert_eq!(parse_ppid("43 (Web Content (x)) R 42 1 1"), Some(42));
        assert_eq!(parse_ppid("garbage"), None);
    }

    #[test]
    fn a_child_is_in_its_parents_tree_and_killed_with_it() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let me = std::process::id();
        assert!(tree(me).contains(&child.id()));
        // The test binary's own memory moves with the tests beside it; the sleeping child's does not.
        let child_memory = memory(child.id());
        assert!(memory(me) > 0 && child_memory > 0);
        assert!(tree_rss(me) >= child_memory, "the tree sums its members");
        kill_tree(child.id());
        child.wait().unwrap();
        assert!(!alive(child.id()));
    }
}
