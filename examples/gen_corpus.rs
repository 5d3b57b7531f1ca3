//! Generates the built-in xz corpus: a tar that looks, to an LZMA2 decoder,
//! like a Linux source tarball.
//!
//! What matters is not that the text reads like C but that the decoder does
//! the same work per compressed byte as on `linux-*.tar.xz`: the same mix of
//! literals and matches, similar match lengths and distances, similar
//! literal entropy and a dictionary working set that behaves the same in
//! the caches. docs/corpus.md explains the recipe and its calibration;
//! `ci/gen-corpus` builds and compresses it.
//!
//! Everything is integer arithmetic on a seeded splitmix64, so the tar is
//! byte-identical on every platform and with every Rust version.
//!
//! Usage: `gen_corpus [--seed N] [--size-mib M] --out PATH`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

/// splitmix64: tiny, integer-only and fully specified, so the output never
/// depends on a library's choice of generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (multiply-shift, no modulo bias worth caring about).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `pct` percent.
    fn pct(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    /// Skewed towards the front of `items`: real code uses a few names a
    /// lot and most names rarely, which is what gives literals and short
    /// matches their realistic statistics.
    fn pick_skewed<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let a = self.below(items.len());
        let b = self.below(items.len());
        &items[a.min(b)]
    }

    /// Heavy-tailed size: most files are small, a few are ten times the
    /// median, like source files.
    fn heavy_tail(&mut self, median: usize) -> usize {
        let mut size = median / 2 + self.below(median);
        while self.pct(38) && size < median * 40 {
            size += size / 2 + self.below(size);
        }
        size
    }
}

#[rustfmt::skip]
const STEMS: &[&str] = &[
    "dev", "ctx", "queue", "ring", "irq", "reg", "buf", "desc", "dma", "clk", "reset", "power",
    "phy", "link", "port", "chan", "fifo", "stat", "cfg", "mode", "rate", "vreg", "gpio", "intr",
    "mbox", "cmd", "resp", "fw", "hw", "sw", "tx", "rx", "pkt", "frame", "hdr", "len", "addr",
    "page", "pool", "entry", "table", "map", "node", "list", "lock", "state", "event", "work",
    "timer", "init", "fini", "probe", "remove", "suspend", "resume", "enable", "disable", "start",
    "stop", "read", "write", "update", "config", "setup", "alloc", "free", "get", "put", "set",
    "clear", "check", "wait", "poll", "handle", "process", "submit", "complete", "flush", "sync",
    "crtc", "plane", "encoder", "connector", "panel", "vblank", "gem", "bo", "vm", "pte", "pde",
    "sdma", "gfx", "mmhub", "vcn", "jpeg", "psp", "smu", "dpm", "pcie", "bif", "nbio", "hdp", "mac",
    "vif", "sta", "key", "scan", "beacon", "tid", "ampdu", "skb", "napi", "coal", "vlan", "spi",
    "i2c", "uart", "pwm", "adc", "codec", "dai", "pcm", "stream", "jack", "widget", "route",
];

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "the", "a", "to", "of", "is", "and", "in", "for", "be", "this", "we", "not", "it", "that", "if",
    "on", "are", "with", "by", "as", "from", "when", "can", "all", "must", "only", "so", "before",
    "after", "has", "been", "will", "should", "may", "no", "there", "which", "any", "register",
    "hardware", "driver", "firmware", "device", "buffer", "value", "bit", "bits", "interrupt",
    "clock", "memory", "controller", "engine", "queue", "ring", "pointer", "index", "set", "clear",
    "enable", "disable", "wait", "until", "done", "busy", "idle", "reset", "state", "mode",
    "default", "current", "next", "previous", "first", "last", "new", "old", "lock", "held",
    "caller", "context", "atomic", "sleep", "timeout", "error", "return", "handle", "check",
    "valid", "invalid", "support", "supported", "program", "initialize", "chip", "revision",
    "older", "newer", "workaround", "errata", "needed", "required", "also", "power", "down", "up",
    "off", "link", "training", "completed", "failed", "retry", "again",
];

#[rustfmt::skip]
const PAIRS: &[(&str, &str)] = &[
    ("enable", "disable"), ("tx", "rx"), ("read", "write"), ("start", "stop"), ("get", "set"),
    ("lock", "unlock"), ("suspend", "resume"), ("alloc", "free"), ("init", "fini"), ("RB0", "RB1"),
    ("_lo", "_hi"), ("LO", "HI"),
];

#[rustfmt::skip]
const TYPES: &[&str] = &[
    "int", "u32", "u8", "u16", "u64", "bool", "unsigned int", "size_t", "dma_addr_t", "long",
    "unsigned long", "uint32_t", "uint64_t", "s32", "__le32", "void *", "char *",
];

#[rustfmt::skip]
const CALLS: &[&str] = &[
    "kfree", "kzalloc", "kcalloc", "devm_kzalloc", "mutex_lock", "mutex_unlock", "spin_lock",
    "spin_unlock", "spin_lock_irqsave", "spin_unlock_irqrestore", "readl", "writel", "udelay",
    "msleep", "usleep_range", "dev_err", "dev_warn", "dev_info", "dev_dbg", "pr_err", "pr_debug",
    "memset", "memcpy", "list_add_tail", "list_del", "INIT_LIST_HEAD", "schedule_work",
    "cancel_work_sync", "complete", "wait_for_completion_timeout", "dma_map_single",
    "dma_unmap_single", "dma_alloc_coherent", "dma_free_coherent", "clk_prepare_enable",
    "clk_disable_unprepare", "regmap_read", "regmap_write", "regmap_update_bits", "WREG32",
    "RREG32", "WREG32_SOC15", "RREG32_SOC15", "REG_SET_FIELD", "REG_GET_FIELD", "WARN_ON",
    "atomic_inc", "atomic_dec_and_test", "pm_runtime_get_sync", "pm_runtime_put", "of_node_put",
];

#[rustfmt::skip]
const INCLUDES: &[&str] = &[
    "linux/module.h", "linux/kernel.h", "linux/slab.h", "linux/init.h", "linux/delay.h",
    "linux/interrupt.h", "linux/platform_device.h", "linux/pci.h", "linux/dma-mapping.h",
    "linux/of.h", "linux/of_device.h", "linux/clk.h", "linux/reset.h", "linux/io.h",
    "linux/regmap.h", "linux/mutex.h", "linux/spinlock.h", "linux/workqueue.h", "linux/bitfield.h",
    "linux/firmware.h", "linux/pm_runtime.h", "linux/netdevice.h", "linux/etherdevice.h",
    "linux/i2c.h", "linux/spi/spi.h", "linux/gpio/consumer.h", "sound/soc.h", "sound/pcm.h",
    "drm/drm_crtc.h", "drm/drm_atomic.h", "net/mac80211.h", "linux/iopoll.h", "linux/bits.h",
];

#[rustfmt::skip]
const COMPANIES: &[&str] = &[
    "Advanced Micro Devices, Inc.", "Intel Corporation", "Linaro Ltd.", "Realtek Corporation",
    "MediaTek Inc.", "Red Hat, Inc.", "The Linux Foundation", "NVIDIA Corporation",
    "Texas Instruments Incorporated", "Samsung Electronics Co., Ltd.", "Broadcom Corporation",
];

#[rustfmt::skip]
const REG_WORDS: &[&str] = &[
    "CNTL", "STATUS", "BASE", "BASE_HI", "SIZE", "RPTR", "WPTR", "ADDR", "ADDR_HI", "DATA", "MASK",
    "CONFIG", "DEBUG", "INDEX", "VMID", "DOORBELL", "OFFSET", "TIMER", "PERFCOUNTER", "SELECT",
    "LO", "HI", "CTRL", "ENABLE", "CLOCK", "POWER", "GATE", "RESET", "ERROR", "COUNTER", "FIFO",
    "LIMIT", "SEM", "PROTECTION", "FAULT", "CACHE", "TLB", "ARB", "CREDIT", "RB", "IB", "MEC", "ME",
    "PFP", "CE", "HQD", "PQ", "EOP", "CSB", "GDS", "GWS", "VGT", "PA", "SC", "SPI", "SQ", "TA",
    "TCP", "TCC", "DB", "CB", "GRBM", "RLC", "SRBM", "UTCL2", "VML2", "L2", "PDE", "PTE", "CONTEXT",
    "PAGE", "TABLE", "START", "END", "LOW", "HIGH", "DEFAULT",
];

#[rustfmt::skip]
const FIELD_WORDS: &[&str] = &[
    "ENABLE", "EN", "DISABLE", "MODE", "SEL", "SIZE", "COUNT", "BUSY", "IDLE", "PENDING", "VALID",
    "ID", "VMID", "ADDR", "PTR", "LEVEL", "THRESHOLD", "TIMEOUT", "INT", "STATUS", "ERROR",
    "OVERRIDE", "FORCE", "CLEAR", "MASK", "SWAP", "PRIV", "VOLATILE", "CACHE_POLICY", "QUEUE",
    "PIPE", "ME", "RB", "WPTR", "RPTR", "REPORT", "FAULT", "RETRY", "DELAY", "HYSTERESIS",
];

/// A tar being written; stops at exactly `limit` bytes.
struct Tar {
    out: Vec<u8>,
    limit: usize,
}

impl Tar {
    /// Room left for the next member's data, after its header and the two
    /// zero blocks that end the archive.
    fn room(&self) -> usize {
        self.limit.saturating_sub(self.out.len() + 3 * 512) & !511
    }

    fn full(&self) -> bool {
        self.room() < 4096
    }

    /// A ustar header by hand: fixed owner and mtime so the bytes depend
    /// on the seed only.
    fn header(&mut self, path: &str, size: usize, dir: bool) {
        let mut h = [0u8; 512];
        assert!(path.len() < 100, "member name too long for ustar: {path}");
        h[..path.len()].copy_from_slice(path.as_bytes());
        let octal = |h: &mut [u8; 512], at: usize, width: usize, v: usize| {
            let s = format!("{:0w$o}", v, w = width - 1);
            h[at..at + width - 1].copy_from_slice(s.as_bytes());
        };
        octal(&mut h, 100, 8, if dir { 0o755 } else { 0o644 });
        octal(&mut h, 108, 8, 0);
        octal(&mut h, 116, 8, 0);
        octal(&mut h, 124, 12, size);
        octal(&mut h, 136, 12, 1_700_000_000);
        h[148..156].copy_from_slice(b"        ");
        h[156] = if dir { b'5' } else { b'0' };
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[265..269].copy_from_slice(b"root");
        h[297..301].copy_from_slice(b"root");
        let sum: usize = h.iter().map(|&b| usize::from(b)).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        self.out.extend_from_slice(&h);
    }

    fn dir(&mut self, path: &str) {
        if self.full() {
            return;
        }
        self.header(&format!("{path}/"), 0, true);
    }

    /// Adds a file, cut short if the archive would overflow.
    fn file(&mut self, path: &str, data: &[u8]) {
        if self.full() {
            return;
        }
        let data = &data[..data.len().min(self.room())];
        self.header(path, data.len(), false);
        self.out.extend_from_slice(data);
        let pad = (512 - self.out.len() % 512) % 512;
        self.out.resize(self.out.len() + pad, 0);
    }

    fn finish(mut self) -> Vec<u8> {
        assert!(self.out.len() + 1024 <= self.limit);
        self.out.resize(self.limit, 0);
        self.out
    }
}

/// A made-up name such as `rtq87` or `mvx`: gives each driver its own
/// identifiers, so a driver's names repeat within it but not across the
/// tree, as in the kernel.
fn invent_prefix(rng: &mut Rng) -> String {
    const CONS: &[u8] = b"bcdfghklmnprstvwxz";
    const VOW: &[u8] = b"aeiou";
    let mut s = String::new();
    for i in 0..rng.range(2, 4) {
        let set = if i % 2 == 1 && rng.pct(50) { VOW } else { CONS };
        s.push(char::from(*rng.pick(set)));
    }
    if rng.pct(45) {
        let _ = write!(s, "{}", rng.range(1, 9999));
    }
    s
}

/// A few thousand made-up words behind the common English ones. Comments
/// drawn from it with a Zipf-like skew have prose's mix of frequent words
/// (short matches) and rare ones (literals); a small word list would turn
/// every comment into cheap long matches.
fn vocabulary(rng: &mut Rng) -> Vec<String> {
    const ONSET: &[&str] = &[
        "b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s", "t", "v", "w", "st", "tr",
        "pr", "ch", "sh", "cl", "gr", "bl", "", "",
    ];
    const NUCLEUS: &[&str] = &["a", "e", "i", "o", "u", "ea", "ou", "io", "ai", "ee"];
    const CODA: &[&str] = &[
        "", "", "n", "r", "s", "t", "l", "d", "ng", "ck", "nt", "st", "rs",
    ];
    let mut words: Vec<String> = WORDS.iter().map(|w| w.to_string()).collect();
    while words.len() < 3000 {
        let mut w = String::new();
        for _ in 0..rng.range(1, 3) {
            w.push_str(rng.word(ONSET));
            w.push_str(rng.word(NUCLEUS));
            w.push_str(rng.word(CODA));
        }
        words.push(w);
    }
    words
}

/// What one function works on: a handful of fields and macros used over
/// and over, which is where real code gets its short-distance matches.
struct Scope {
    var: &'static str,
    local: String,
    nouns: Vec<String>,
    unit: String,
    fields: Vec<String>,
    macros: Vec<String>,
}

/// The working set of one driver: its prefix, the stems it talks about,
/// its struct fields and macros, and the functions written so far (the
/// source of copy-paste).
struct Driver<'v> {
    words: &'v [String],
    /// The words this driver's comments favour: keeps most prose matches
    /// inside the driver instead of megabytes back.
    jargon: Vec<String>,
    prefix: String,
    upper: String,
    nouns: Vec<String>,
    fields: Vec<String>,
    macros: Vec<String>,
    funcs: Vec<(String, String)>,
}

impl<'v> Driver<'v> {
    fn new(rng: &mut Rng, words: &'v [String]) -> Self {
        let prefix = invent_prefix(rng);
        let upper = prefix.to_uppercase();
        let mut nouns: Vec<String> = (0..rng.range(10, 24))
            .map(|_| rng.pick(STEMS).to_string())
            .collect();
        for _ in 0..rng.range(2, 6) {
            nouns.push(invent_prefix(rng));
        }
        nouns.sort();
        nouns.dedup();
        let fields = (0..rng.range(30, 80))
            .map(|_| {
                let a = rng.pick_skewed(STEMS);
                match rng.below(5) {
                    0 => a.to_string(),
                    1 => format!("{a}_{}", rng.pick(STEMS)),
                    2 => format!("num_{a}s"),
                    3 => format!("{a}_{}", rng.pick(words)),
                    _ => format!(
                        "{a}_{}",
                        rng.pick(&["en", "cnt", "idx", "base", "mask", "id"])
                    ),
                }
            })
            .collect();
        let macros = (0..rng.range(25, 70))
            .map(|_| {
                format!(
                    "{upper}_{}_{}",
                    rng.pick(STEMS).to_uppercase(),
                    rng.pick(REG_WORDS)
                )
            })
            .collect();
        let jargon = (0..rng.range(100, 400))
            .map(|_| words[rng.below(words.len())].clone())
            .collect();
        Driver {
            words,
            jargon,
            prefix,
            upper,
            nouns,
            fields,
            macros,
            funcs: Vec::new(),
        }
    }

    fn scope(&self, rng: &mut Rng) -> Scope {
        let unit = format!("{}_{}", self.upper, rng.pick(STEMS).to_uppercase());
        let nouns: Vec<String> = (0..rng.range(1, 3)).map(|_| self.noun(rng)).collect();
        Scope {
            local: nouns[0].clone(),
            nouns,
            var: rng.word(&["adev", "priv", "dev", "hw", "ctx", "st"]),
            fields: (0..rng.range(2, 6))
                .map(|_| rng.pick_skewed(&self.fields).clone())
                .collect(),
            macros: (0..rng.range(2, 5))
                .map(|_| {
                    if rng.pct(50) {
                        format!("{unit}_{}", rng.pick(REG_WORDS))
                    } else {
                        rng.pick(&self.macros).clone()
                    }
                })
                .collect(),
            unit,
        }
    }

    fn noun(&self, rng: &mut Rng) -> String {
        rng.pick_skewed(&self.nouns).clone()
    }

    fn scope_noun(&self, rng: &mut Rng, sc: &Scope) -> String {
        if rng.pct(75) {
            rng.pick(&sc.nouns).clone()
        } else {
            self.noun(rng)
        }
    }

    fn field<'a>(&'a self, rng: &mut Rng, sc: &'a Scope) -> &'a str {
        if rng.pct(80) {
            rng.pick(&sc.fields).as_str()
        } else {
            rng.pick_skewed(&self.fields).as_str()
        }
    }

    fn mac<'a>(&'a self, rng: &mut Rng, sc: &'a Scope) -> &'a str {
        if rng.pct(80) {
            rng.pick(&sc.macros).as_str()
        } else {
            rng.pick(&self.macros).as_str()
        }
    }

    fn value(&self, rng: &mut Rng, sc: &Scope) -> String {
        match rng.below(9) {
            0 => format!("0x{:x}", rng.below(0x10000)),
            1 => format!("BIT({})", rng.below(32)),
            2 => format!("GENMASK({}, {})", rng.range(8, 31), rng.below(8)),
            3 | 4 => self.mac(rng, sc).to_string(),
            5 => format!("{}", rng.below(10)),
            6 => format!("{}", rng.below(100_000)),
            7 => format!("0x{:08x}", rng.next() as u32),
            _ => "0".to_string(),
        }
    }

    /// Prose: the driver's jargon, or Zipf-skewed words from the vocabulary.
    fn prose(&self, rng: &mut Rng, lo: usize, hi: usize) -> String {
        let mut s = String::new();
        let n = rng.range(lo, hi);
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            if rng.pct(60) {
                s.push_str(rng.pick_skewed(&self.jargon).as_str());
            } else {
                let k = rng.below(self.words.len());
                let k = rng.below(k + 1);
                s.push_str(&self.words[rng.below(k + 1)]);
            }
        }
        s
    }

    fn comment(&self, rng: &mut Rng, indent: &str) -> String {
        if rng.pct(60) {
            return format!("{indent}/* {} */\n", self.prose(rng, 3, 10));
        }
        let mut s = format!("{indent}/*\n");
        for _ in 0..rng.range(2, 6) {
            let _ = writeln!(s, "{indent} * {}", self.prose(rng, 6, 12));
        }
        let _ = writeln!(s, "{indent} */");
        s
    }

    /// One statement (recursing into blocks), in kernel style.
    fn stmt(&self, rng: &mut Rng, out: &mut String, depth: usize, sc: &Scope) {
        let ind = "\t".repeat(depth);
        let p = &self.prefix;
        let var = if rng.pct(30) { &sc.local } else { sc.var };
        match rng.below(if depth > 2 { 9 } else { 17 }) {
            0 => {
                let f = self.field(rng, sc);
                let _ = writeln!(out, "{ind}{var}->{f} = {};", self.value(rng, sc));
            }
            1 => {
                let n = self.scope_noun(rng, sc);
                let _ = write!(
                    out,
                    "{ind}ret = {p}_{n}_{}({var}, {});\n{ind}if (ret) {{\n",
                    rng.pick(STEMS),
                    self.value(rng, sc)
                );
                let msg = self.prose(rng, 1, 4);
                let _ = write!(
                    out,
                    "{ind}\tdev_err({var}->dev, \"failed to {msg} {n}: %d\\n\", ret);\n\
                     {ind}\treturn ret;\n{ind}}}\n"
                );
            }
            2 => {
                let _ = writeln!(
                    out,
                    "{ind}{}({var}, {}, {});",
                    rng.pick_skewed(CALLS),
                    self.mac(rng, sc),
                    self.value(rng, sc)
                );
            }
            3 => {
                let _ = writeln!(
                    out,
                    "{ind}val = {}({var}->{} + {});",
                    rng.pick(&["readl", "RREG32", "ioread32", "le32_to_cpu"]),
                    self.field(rng, sc),
                    self.mac(rng, sc)
                );
            }
            4 => out.push_str(&self.comment(rng, &ind)),
            5 => {
                let (f, m) = (self.field(rng, sc), self.mac(rng, sc));
                let op = rng.pick(&["|=", "&= ~", "^="]);
                let _ = writeln!(out, "{ind}{var}->{f} {op}{m};");
            }
            6 => {
                // A run of similar lines: the kernel's register sequences
                // and struct fill-ins, matched against the line above.
                let call = rng.pick_skewed(CALLS);
                let unit = &sc.unit;
                let reg = rng.pick(REG_WORDS);
                let first = rng.below(4);
                for k in first..first + rng.range(2, 7) {
                    let _ = writeln!(
                        out,
                        "{ind}{call}({var}, {unit}_{reg}{k}, {});",
                        self.value(rng, sc)
                    );
                }
            }
            7 => {
                let msg = self.prose(rng, 2, 7);
                let _ = writeln!(
                    out,
                    "{ind}{}({var}->dev, \"{msg} %{}\\n\", {var}->{});",
                    rng.pick(&["dev_dbg", "dev_info", "dev_warn", "dev_err"]),
                    rng.pick(&["d", "u", "x", "08x", "llx"]),
                    self.field(rng, sc)
                );
            }
            8 => {
                let lock = rng.pick(&["lock", "mutex", "irq_lock", "reg_lock"]);
                let _ = writeln!(out, "{ind}mutex_lock(&{var}->{lock});");
                self.stmt(rng, out, depth, sc);
                let _ = writeln!(out, "{ind}mutex_unlock(&{var}->{lock});");
            }
            9 => {
                let _ = writeln!(
                    out,
                    "{ind}if ({var}->{} & {}) {{",
                    self.field(rng, sc),
                    self.mac(rng, sc)
                );
                for _ in 0..rng.range(1, 3) {
                    self.stmt(rng, out, depth + 1, sc);
                }
                if rng.pct(30) {
                    let _ = writeln!(out, "{ind}}} else {{");
                    self.stmt(rng, out, depth + 1, sc);
                }
                let _ = writeln!(out, "{ind}}}");
            }
            10 => {
                let f = self.field(rng, sc);
                let _ = writeln!(out, "{ind}for (i = 0; i < {var}->{f}; i++) {{");
                for _ in 0..rng.range(1, 3) {
                    self.stmt(rng, out, depth + 1, sc);
                }
                let _ = writeln!(out, "{ind}}}");
            }
            11 => {
                let _ = writeln!(out, "{ind}switch ({var}->{}) {{", self.field(rng, sc));
                for _ in 0..rng.range(2, 5) {
                    let _ = writeln!(out, "{ind}case {}:", rng.pick(&self.macros));
                    self.stmt(rng, out, depth + 1, sc);
                    let _ = writeln!(out, "{ind}\tbreak;");
                }
                let _ = writeln!(out, "{ind}default:\n{ind}\treturn -EINVAL;\n{ind}}}");
            }
            13 => {
                // Read-modify-write of one register.
                let (f, m) = (self.field(rng, sc), self.mac(rng, sc));
                let _ = writeln!(out, "{ind}val = readl({var}->{f} + {m});");
                let _ = writeln!(out, "{ind}val &= ~{m}_MASK;");
                let _ = writeln!(
                    out,
                    "{ind}val |= FIELD_PREP({m}_MASK, {});",
                    self.value(rng, sc)
                );
                let _ = writeln!(out, "{ind}writel(val, {var}->{f} + {m});");
            }
            14 => {
                let n = self.scope_noun(rng, sc);
                let _ = writeln!(
                    out,
                    "{ind}ret = {p}_{n}_{}({var}, {});",
                    rng.pick(STEMS),
                    self.field(rng, sc)
                );
                let _ = writeln!(
                    out,
                    "{ind}if (ret)\n{ind}\tgoto err_{}_{n};",
                    rng.pick(&["free", "put", "disable", "unmap", "unlock"])
                );
            }
            15 => {
                // A local pointer filled in field by field.
                let n = self.scope_noun(rng, sc);
                let _ = writeln!(out, "{ind}{n} = &{var}->{}[i];", self.field(rng, sc));
                for _ in 0..rng.range(2, 5) {
                    let _ = writeln!(
                        out,
                        "{ind}{n}->{} = {var}->{};",
                        self.field(rng, sc),
                        self.field(rng, sc)
                    );
                }
            }
            12 => {
                let n = self.scope_noun(rng, sc);
                let _ = writeln!(
                    out,
                    "{ind}struct {p}_{n} *{n} = &{var}->{}[{}];",
                    self.field(rng, sc),
                    rng.pick(&["i", "0", "idx", "id"])
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "{ind}{} = {}({var}, {}, {});",
                    rng.pick(&["ret", "val", "tmp", "data"]),
                    rng.pick_skewed(CALLS),
                    self.field(rng, sc),
                    self.value(rng, sc)
                );
            }
        }
    }

    /// A fresh function; returns its text and the noun in its name (the
    /// word a copy-paster would rename).
    fn fresh_fn(&self, rng: &mut Rng) -> (String, String) {
        let n = self.noun(rng);
        let p = &self.prefix;
        let verb = rng.pick(STEMS);
        let sc = self.scope(rng);
        let var = sc.var;
        let mut f = String::new();
        if rng.pct(35) {
            let what = self.prose(rng, 3, 9);
            let arg = self.prose(rng, 2, 6);
            let _ = write!(
                f,
                "/**\n * {p}_{n}_{verb} - {what}\n * @{var}: {arg}\n *\n * Returns 0 on success.\n */\n"
            );
        }
        let ret = if rng.pct(70) { "int" } else { "void" };
        let _ = write!(
            f,
            "{}{ret} {p}_{n}_{verb}(struct {p}_{} *{var}",
            if rng.pct(60) { "static " } else { "" },
            self.noun(rng)
        );
        for _ in 0..rng.below(3) {
            let _ = write!(f, ", {} {}", rng.pick_skewed(TYPES), self.field(rng, &sc));
        }
        f.push_str(")\n{\n");
        let l = &sc.local;
        let _ = writeln!(
            f,
            "\tstruct {p}_{l} *{l} = {var}->{l};\n\tint ret, i;\n\tu32 val;\n"
        );
        let body_start = f.len();
        for _ in 0..rng.heavy_tail(6).min(60) {
            // Now and then a line from a few lines up again, one number
            // changed: code repeats itself at short range.
            let recent: Vec<&str> = f[body_start..]
                .lines()
                .filter(|l| l.starts_with('\t') && l.ends_with(';') && !l.contains("return"))
                .collect();
            if !recent.is_empty() && rng.pct(20) {
                let line = recent[recent.len() - 1 - rng.below(recent.len().min(6))].to_string();
                let line = edit_number(rng, &line);
                f.push_str(&line);
                f.push('\n');
                continue;
            }
            self.stmt(rng, &mut f, 1, &sc);
        }
        // Error unwinding: the calls above, undone in reverse order.
        let calls: Vec<String> = f[body_start..]
            .lines()
            .filter(|l| l.starts_with("\tret = "))
            .map(|l| l.replacen("\tret = ", "\t", 1).replacen('(', "_undo(", 1))
            .collect();
        if ret == "int" && !calls.is_empty() && rng.pct(50) {
            f.push_str("\n\treturn 0;\n");
            for (i, c) in calls.iter().rev().enumerate() {
                let _ = writeln!(f, "err_{i}:\n{c}");
            }
            f.push_str("\treturn ret;\n}\n\n");
            return (f, n);
        }
        f.push_str(if ret == "int" {
            "\n\treturn 0;\n}\n\n"
        } else {
            "}\n\n"
        });
        (f, n)
    }

    /// A function copied from a recent one, its noun renamed and a few
    /// lines edited, dropped or added: about 40 % of driver code is like
    /// this, and the edits are what give matches their realistic lengths.
    fn copied_fn(&mut self, rng: &mut Rng) -> (String, String) {
        let recent = self.funcs.len().saturating_sub(48);
        let (text, old) = self.funcs[rng.range(recent, self.funcs.len() - 1)].clone();
        let mut new = self.noun(rng);
        if new == old {
            new = format!("{old}{}", rng.range(2, 4));
        }
        let mut text = text.replace(&format!("_{old}_"), &format!("_{new}_"));
        // The enable/disable, tx/rx twin: many one-word edits, each a
        // literal or two between matches that resume at the same distance.
        for _ in 0..rng.below(3) {
            let (a, b) = *rng.pick(PAIRS);
            text = text.replace(a, b);
        }
        let sc = self.scope(rng);
        let mut out = String::with_capacity(text.len() + 256);
        for line in text.lines() {
            let depth = line.len() - line.trim_start_matches('\t').len();
            let simple = depth > 0 && line.ends_with(';') && !line.contains(['{', '}']);
            match rng.below(100) {
                0..=3 if simple && !line.contains("return") => continue,
                4..=11 if simple => {
                    // Change one number, or else one field.
                    let edited = if line.contains(|c: char| c.is_ascii_digit()) {
                        edit_number(rng, line)
                    } else if let Some(at) = line.find("->") {
                        let end = line[at + 2..]
                            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                            .map_or(line.len(), |e| at + 2 + e);
                        format!("{}->{}{}", &line[..at], self.field(rng, &sc), &line[end..])
                    } else {
                        line.to_string()
                    };
                    out.push_str(&edited);
                    out.push('\n');
                    continue;
                }
                12..=15 if depth > 0 && depth < 4 => self.stmt(rng, &mut out, depth, &sc),
                _ => {}
            }
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
        (out, new)
    }

    /// A static table whose rows differ a little from the row above, the
    /// way ID tables, register init lists and clock trees look.
    fn table(&self, rng: &mut Rng) -> String {
        let (p, n) = (&self.prefix, self.noun(rng));
        let sc = self.scope(rng);
        let mut s = format!("static const struct {p}_{n}_entry {p}_{n}_table[] = {{\n");
        let mut vals = [rng.below(0x1000), rng.below(64), rng.below(1000)];
        let mut m = self.mac(rng, &sc).to_string();
        for _ in 0..rng.heavy_tail(12).min(300) {
            let k = rng.below(3);
            vals[k] += 1 + rng.below(if k == 0 { 64 } else { 4 });
            if rng.pct(40) {
                m = self.mac(rng, &sc).to_string();
            }
            let _ = writeln!(
                s,
                "\t{{ {m}, 0x{:04x}, {}, {} }},",
                vals[0], vals[1], vals[2]
            );
        }
        s.push_str("};\n\n");
        s
    }

    /// An operations table: each line names its member twice.
    fn ops(&self, rng: &mut Rng) -> String {
        let (p, n) = (&self.prefix, self.noun(rng));
        let mut s = format!("static const struct {p}_ops {p}_{n}_ops = {{\n");
        for _ in 0..rng.range(3, 16) {
            let m = rng.pick(STEMS);
            let _ = writeln!(s, "\t.{m} = {p}_{n}_{m},");
        }
        s.push_str("};\n\n");
        s
    }

    fn c_file(&mut self, rng: &mut Rng, target: usize) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "// SPDX-License-Identifier: GPL-2.0{}\n/*\n * Copyright (C) {} {}\n *\n",
            rng.pick(&["", "-only", "-or-later", " OR MIT"]),
            rng.range(2005, 2022),
            rng.pick(COMPANIES)
        );
        for _ in 0..rng.range(1, 4) {
            let _ = writeln!(s, " * {}", self.prose(rng, 6, 12));
        }
        s.push_str(" */\n\n");
        for _ in 0..rng.range(4, 14) {
            let _ = writeln!(s, "#include <{}>", rng.pick_skewed(INCLUDES));
        }
        let _ = write!(s, "\n#include \"{}.h\"\n\n", self.prefix);
        let sc = self.scope(rng);
        for _ in 0..rng.range(2, 16) {
            let _ = writeln!(
                s,
                "#define {}\t{}",
                rng.pick(&self.macros),
                self.value(rng, &sc)
            );
        }
        s.push('\n');
        while s.len() < target {
            if rng.pct(6) {
                s.push_str(&self.table(rng));
                continue;
            }
            if rng.pct(5) {
                s.push_str(&self.ops(rng));
                continue;
            }
            let (f, n) = if !self.funcs.is_empty() && rng.pct(40) {
                self.copied_fn(rng)
            } else {
                self.fresh_fn(rng)
            };
            s.push_str(&f);
            self.funcs.push((f, n));
        }
        s
    }

    fn h_file(&self, rng: &mut Rng, target: usize) -> String {
        let up = &self.upper;
        let mut s = format!(
            "/* SPDX-License-Identifier: GPL-2.0 */\n#ifndef __{up}_H__\n#define __{up}_H__\n\n"
        );
        while s.len() < target {
            let n = self.noun(rng);
            let sc = self.scope(rng);
            if rng.pct(50) {
                s.push_str(&self.comment(rng, ""));
            }
            let _ = writeln!(s, "struct {}_{n} {{", self.prefix);
            for _ in 0..rng.range(3, 20) {
                let _ = write!(s, "\t{} {};", rng.pick_skewed(TYPES), self.field(rng, &sc));
                if rng.pct(30) {
                    let c = self.prose(rng, 2, 6);
                    let _ = write!(s, "\t/* {c} */");
                }
                s.push('\n');
            }
            s.push_str("};\n\n");
            for _ in 0..rng.range(2, 12) {
                let _ = writeln!(
                    s,
                    "int {}_{n}_{}(struct {}_{n} *{n});",
                    self.prefix,
                    rng.pick(STEMS),
                    self.prefix
                );
            }
            for _ in 0..rng.range(0, 12) {
                let _ = writeln!(
                    s,
                    "#define {}\t\t{}",
                    rng.pick(&self.macros),
                    self.value(rng, &sc)
                );
            }
            s.push('\n');
        }
        s.push_str("#endif\n");
        s
    }
}

/// `line` with its first number replaced (or unchanged if it has none).
fn edit_number(rng: &mut Rng, line: &str) -> String {
    match line.find(|c: char| c.is_ascii_digit()) {
        Some(at) => {
            let end = line[at..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .map_or(line.len(), |e| at + e);
            format!("{}{}{}", &line[..at], rng.below(64), &line[end..])
        }
        None => line.to_string(),
    }
}

/// A driver directory: a header and a few C files sharing one working set.
fn driver_dir(rng: &mut Rng, tar: &mut Tar, words: &[String], n: usize) {
    let mut d = Driver::new(rng, words);
    let top = rng.pick(&[
        "drivers/gpu/drm",
        "drivers/net/wireless",
        "drivers/net/ethernet",
        "sound/soc/codecs",
        "drivers/media/platform",
        "drivers/iio/adc",
        "drivers/phy",
        "drivers/clk",
        "drivers/pinctrl",
        "drivers/scsi",
        "drivers/usb/gadget",
        "fs",
        "arch/arm64/kernel",
    ]);
    let dir = format!("linux/{top}/{}-{n}", d.prefix);
    tar.dir(&dir);
    let size = rng.heavy_tail(2500);
    let h = d.h_file(rng, size);
    tar.file(&format!("{dir}/{}.h", d.prefix), h.as_bytes());
    for i in 0..rng.heavy_tail(3).min(40) {
        if tar.full() {
            return;
        }
        let stem = d.noun(rng);
        let size = rng.heavy_tail(7000);
        let c = d.c_file(rng, size);
        tar.file(&format!("{dir}/{}_{stem}{i}.c", d.prefix), c.as_bytes());
    }
}

struct Reg {
    name: String,
    addr: u32,
    idx: u8,
    fields: Vec<(String, u32, u32)>,
}

fn reg_field_set(rng: &mut Rng) -> Vec<(String, u32, u32)> {
    let mut fields = Vec::new();
    let mut bit = 0u32;
    while bit < 32 && fields.len() < 14 {
        let width = (1 + rng.heavy_tail(2) as u32).min(32 - bit);
        let name = if rng.pct(40) {
            format!("{}_{}", rng.pick(REG_WORDS), rng.pick(FIELD_WORDS))
        } else {
            rng.pick(FIELD_WORDS).to_string()
        };
        let mask = (((1u64 << width) - 1) << bit) as u32;
        fields.push((name, bit, mask));
        bit += width + if rng.pct(30) { rng.below(4) as u32 } else { 0 };
    }
    fields
}

/// An IP block's register table: instances of the same units give the
/// long repeated suffixes that asic_reg headers are full of.
fn reg_table(rng: &mut Rng, block: &str, n: usize) -> Vec<Reg> {
    let mut regs = Vec::new();
    let mut addr = rng.below(0x400) as u32 * 4;
    while regs.len() < n {
        let unit = format!("{block}_{}", rng.pick(REG_WORDS));
        let instances = if rng.pct(30) { rng.range(2, 8) } else { 1 };
        let names: Vec<String> = (0..rng.range(3, 30))
            .map(|_| {
                let mut s = rng.pick_skewed(REG_WORDS).to_string();
                if rng.pct(50) {
                    let _ = write!(s, "_{}", rng.pick(REG_WORDS));
                }
                s
            })
            .collect();
        let fields: Vec<_> = names.iter().map(|_| reg_field_set(rng)).collect();
        let idx = rng.below(3) as u8;
        for i in 0..instances {
            let inst = if instances > 1 {
                format!("{unit}{i}")
            } else {
                unit.clone()
            };
            for (name, f) in names.iter().zip(&fields) {
                regs.push(Reg {
                    name: format!("{inst}_{name}"),
                    addr,
                    idx,
                    fields: f.clone(),
                });
                addr += 1 + if rng.pct(10) { rng.below(8) as u32 } else { 0 };
            }
        }
        addr = (addr + 0x3f) & !0x3f;
    }
    regs
}

/// The next hardware generation's table: mostly the same registers, some
/// moved, renamed, added or dropped, fields tweaked.
fn mutate_table(rng: &mut Rng, regs: &[Reg], block: &str) -> Vec<Reg> {
    let mut out = Vec::new();
    let mut shift = 0i64;
    for r in regs {
        if rng.pct(3) {
            continue;
        }
        if rng.pct(2) {
            shift += rng.range(1, 64) as i64;
        }
        let mut name = r.name.clone();
        if rng.pct(2) {
            name = format!("{block}_{}_{}", rng.pick(REG_WORDS), rng.pick(REG_WORDS));
        }
        let mut fields = r.fields.clone();
        if rng.pct(8) {
            fields = reg_field_set(rng);
        } else if rng.pct(10) && fields.len() > 1 {
            fields.remove(rng.below(fields.len()));
        }
        out.push(Reg {
            name,
            addr: (i64::from(r.addr) + shift) as u32,
            idx: r.idx,
            fields,
        });
        if rng.pct(3) {
            out.push(Reg {
                name: format!("{block}_{}_{}", rng.pick(REG_WORDS), rng.pick(REG_WORDS)),
                addr: (i64::from(r.addr) + shift + 1) as u32,
                idx: r.idx,
                fields: reg_field_set(rng),
            });
            shift += 1;
        }
    }
    out
}

fn pad_define(s: &mut String, name: &str, value: &str) {
    let _ = writeln!(s, "#define {name:<92}{value}");
}

fn offset_h(regs: &[Reg], tag: &str) -> String {
    let mut s = format!("/*\n * Copyright (C) 2023  Advanced Micro Devices, Inc.\n */\n#ifndef _{tag}_OFFSET_HEADER\n#define _{tag}_OFFSET_HEADER\n\n");
    for (i, r) in regs.iter().enumerate() {
        if i % 40 == 0 {
            let _ = write!(s, "\n// addressBlock: {}_dec\n", tag.to_lowercase());
        }
        pad_define(
            &mut s,
            &format!("reg{}", r.name),
            &format!("0x{:04x}", r.addr),
        );
        pad_define(
            &mut s,
            &format!("reg{}_BASE_IDX", r.name),
            &r.idx.to_string(),
        );
    }
    s.push_str("\n#endif\n");
    s
}

fn sh_mask_h(regs: &[Reg], tag: &str) -> String {
    let mut s = format!("/*\n * Copyright (C) 2023  Advanced Micro Devices, Inc.\n */\n#ifndef _{tag}_SH_MASK_HEADER\n#define _{tag}_SH_MASK_HEADER\n\n");
    for r in regs {
        let _ = writeln!(s, "//{}", r.name);
        for (f, shift, _) in &r.fields {
            pad_define(
                &mut s,
                &format!("{}__{f}__SHIFT", r.name),
                &format!("0x{shift:x}"),
            );
        }
        for (f, _, mask) in &r.fields {
            pad_define(
                &mut s,
                &format!("{}__{f}_MASK", r.name),
                &format!("0x{mask:08X}L"),
            );
        }
    }
    s.push_str("\n#endif\n");
    s
}

/// One asic_reg family: successive versions of the same tables, adjacent
/// in the tar as they are in the kernel tree.
fn register_dir(rng: &mut Rng, tar: &mut Tar, budget: usize) {
    let start = tar.out.len();
    let block = rng.pick(&[
        "GC", "MMHUB", "DCN", "NBIO", "SDMA", "VCN", "OSSSYS", "THM", "MP", "HDP", "ATHUB", "DPCS",
    ]);
    let lower = block.to_lowercase();
    let dir = format!(
        "linux/drivers/gpu/drm/amd/include/asic_reg/{lower}{}",
        rng.below(100)
    );
    tar.dir(&dir);
    let n = rng.range(80, 400);
    let mut regs = reg_table(rng, block, n);
    let mut major = rng.range(1, 9);
    let mut minor = 0;
    for _ in 0..rng.range(2, 6) {
        let tag = format!("{block}_{major}_{minor}");
        let base = format!("{dir}/{lower}_{major}_{minor}");
        let (offsets, masks) = (offset_h(&regs, &tag), sh_mask_h(&regs, &tag));
        if tar.out.len() - start + offsets.len() + masks.len() > budget {
            return;
        }
        tar.file(&format!("{base}_offset.h"), offsets.as_bytes());
        tar.file(&format!("{base}_sh_mask.h"), masks.as_bytes());
        regs = mutate_table(rng, &regs, block);
        if rng.pct(40) {
            major += 1;
            minor = 0;
        } else {
            minor += rng.range(1, 3);
        }
    }
}

/// Firmware-like blob: mostly instruction words with a few opcodes and
/// random operands, some zero padding and repeated stretches.
fn firmware(rng: &mut Rng, tar: &mut Tar, n: usize) {
    let size = rng.heavy_tail(24 * 1024) & !3;
    let ops: Vec<u32> = (0..rng.range(8, 40))
        .map(|_| rng.next() as u32 & 0xfc00_0000)
        .collect();
    let mut b: Vec<u8> = Vec::with_capacity(size);
    while b.len() < size {
        match rng.below(20) {
            0 => b.resize(b.len() + 4 * rng.range(1, 64), 0),
            1 if b.len() > 256 => {
                let start = rng.below(b.len() - 128) & !3;
                let len = rng.range(4, 32) * 4;
                b.extend_from_within(start..start + len);
            }
            _ => {
                let w =
                    rng.pick_skewed(&ops) | (rng.next() as u32 & 0x03ff_ffff) >> (rng.below(4) * 6);
                b.extend_from_slice(&w.to_le_bytes());
            }
        }
    }
    tar.file(&format!("linux/firmware/blob{n}.bin"), &b);
}

/// Register headers' share of the tar, in per mille: about what
/// drivers/gpu/drm/amd/include/asic_reg is of a kernel tarball. They decode
/// at about 1.2 times the cost per compressed byte of C, which is what
/// lifts generated C (a little cheap on its own) onto the kernel's cost.
const REGISTERS_PER_MILLE: usize = 290;

/// Firmware-like blobs' share, in per mille: literal-heavy, nearly
/// incompressible input of the kind a source tree carries a little of.
const FIRMWARE_PER_MILLE: usize = 20;

const USAGE: &str = "usage: gen_corpus [--seed N] [--size-mib M] --out PATH";

fn main() -> ExitCode {
    let mut seed = 1u64;
    let mut size_mib = 24usize;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next();
        if a == "--help" || a == "-h" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        let ok = match (a.as_str(), v) {
            ("--seed", Some(v)) => v.parse().map(|v| seed = v).is_ok(),
            ("--size-mib", Some(v)) => {
                v.parse().map(|v| size_mib = v).is_ok() && (1..=2048).contains(&size_mib)
            }
            ("--out", Some(v)) => {
                out = Some(v);
                true
            }
            _ => false,
        };
        if !ok {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let Some(out) = out else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut rng = Rng(seed);
    let mut tar = Tar {
        out: Vec::new(),
        limit: size_mib << 20,
    };
    tar.dir("linux");
    let words = vocabulary(&mut rng);
    let (mut c_bytes, mut reg_bytes, mut fw_bytes) = (0usize, 0usize, 0usize);
    let mut n = 0;
    // Kinds interleave, each kept near its share of the bytes written so
    // far, so any prefix of the tar has the same mix.
    while !tar.full() {
        let before = tar.out.len();
        let total = before.max(1);
        if fw_bytes * 1000 < total * FIRMWARE_PER_MILLE && rng.pct(50) {
            firmware(&mut rng, &mut tar, n);
            fw_bytes += tar.out.len() - before;
        } else if reg_bytes * 1000 < total * REGISTERS_PER_MILLE && rng.pct(50) {
            let want = tar.limit / 1000 * REGISTERS_PER_MILLE;
            let budget = (want / 6).min(want.saturating_sub(reg_bytes));
            register_dir(&mut rng, &mut tar, budget);
            reg_bytes += tar.out.len() - before;
        } else {
            driver_dir(&mut rng, &mut tar, &words, n);
            c_bytes += tar.out.len() - before;
        }
        n += 1;
    }
    eprintln!("gen_corpus: C {c_bytes} B, register headers {reg_bytes} B, firmware {fw_bytes} B");
    let bytes = tar.finish();
    if let Err(e) = std::fs::File::create(&out).and_then(|mut f| f.write_all(&bytes)) {
        eprintln!("gen_corpus: {out}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
