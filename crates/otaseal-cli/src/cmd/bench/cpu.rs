//! What CPU the bench ran on, for comparing devices: the cores' names from `/proc/cpuinfo`
//! (x86 `model name`; on ARM the `CPU implementer` and `CPU part` codes, named here), the board
//! or SoC (`Hardware`, or the device tree's `model`) and the number of logical CPUs.

use std::fs::File;
use std::io::Read;

use serde::{Deserialize, Serialize};

/// `/proc/cpuinfo` of a many-core server is a few hundred KiB; read at most this much.
const MAX_PROC_FILE_LEN: u64 = 4 << 20;

/// The CPU of one report.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Cpu {
    /// The cores, such as `AMD EPYC 7B13`, `ARM Cortex-A72`, or
    /// `4x ARM Cortex-A55 + 3x ARM Cortex-A76 + 1x ARM Cortex-X1` on a phone with several
    /// kinds of core; `None` where the system does not say.
    pub(crate) model: Option<String>,
    /// The board or system on chip (`Qualcomm Technologies, Inc SM8150`,
    /// `Raspberry Pi 4 Model B Rev 1.4`), when the system says.
    pub(crate) board: Option<String>,
    /// Logical CPUs this process may run on (`std::thread::available_parallelism`).
    pub(crate) cores: usize,
}

impl Cpu {
    /// This machine's CPU.
    pub(crate) fn detect() -> Self {
        let cpuinfo = read_proc("/proc/cpuinfo").unwrap_or_default();
        let tree_model = read_proc("/proc/device-tree/model");
        Self {
            model: model(&cpuinfo),
            board: board(&cpuinfo, tree_model.as_deref()),
            cores: std::thread::available_parallelism().map_or(0, usize::from),
        }
    }

    /// One line for the text report: `ARM Cortex-A72 (Raspberry Pi 4 Model B Rev 1.4), 4 cores`.
    pub(crate) fn describe(&self) -> String {
        let mut s = self
            .model
            .clone()
            .unwrap_or_else(|| "unknown CPU".to_owned());
        if let Some(b) = &self.board {
            s.push_str(&format!(" ({b})"));
        }
        match self.cores {
            0 => s,
            1 => s + ", 1 core",
            n => format!("{s}, {n} cores"),
        }
    }
}

/// A small text file of `/proc` (whose reported size is 0), lossily as UTF-8.
fn read_proc(path: &str) -> Option<String> {
    let mut bytes = Vec::new();
    File::open(path)
        .ok()?
        .take(MAX_PROC_FILE_LEN)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The `key: value` lines of `/proc/cpuinfo`, keys and values trimmed.
fn fields(cpuinfo: &str) -> impl Iterator<Item = (&str, &str)> {
    cpuinfo
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
}

/// The cores' names, grouped in order of first appearance. ARM's implementer and part codes
/// are preferred to its `model name`, which on ARM only says `ARMv7 Processor rev 3 (v7l)`.
fn model(cpuinfo: &str) -> Option<String> {
    let mut arm = Vec::new();
    let mut implementer = None;
    let mut named = Vec::new();
    for (key, value) in fields(cpuinfo) {
        match key {
            "CPU implementer" => implementer = parse_hex(value),
            "CPU part" => {
                if let (Some(i), Some(p)) = (implementer, parse_hex(value)) {
                    arm.push(arm_name(i, p));
                }
            }
            "model name" | "cpu model" if !value.is_empty() => named.push(value.to_owned()),
            _ => {}
        }
    }
    let names = if arm.is_empty() { named } else { arm };
    let mut groups: Vec<(String, usize)> = Vec::new();
    for n in names {
        match groups.iter_mut().find(|g| g.0 == n) {
            Some(g) => g.1 += 1,
            None => groups.push((n, 1)),
        }
    }
    match groups.as_slice() {
        [] => None,
        [(one, _)] => Some(one.clone()),
        many => Some(
            many.iter()
                .map(|(n, count)| format!("{count}x {n}"))
                .collect::<Vec<_>>()
                .join(" + "),
        ),
    }
}

/// The board or SoC: cpuinfo's `Hardware` line (Android and 32-bit ARM kernels), else the
/// device tree's `model` (NUL-terminated).
fn board(cpuinfo: &str, tree_model: Option<&str>) -> Option<String> {
    fields(cpuinfo)
        .find(|&(k, v)| k == "Hardware" && !v.is_empty())
        .map(|(_, v)| v.to_owned())
        .or_else(|| {
            tree_model
                .map(|m| m.trim_matches(|c: char| c == '\0' || c.is_whitespace()))
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
        })
}

fn parse_hex(s: &str) -> Option<u32> {
    u32::from_str_radix(s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?, 16).ok()
}

/// Names of the ARM `CPU implementer` codes and the `CPU part` codes found in phones and
/// boards, from the vendors' Main ID Register tables (as the Linux kernel's
/// `arch/arm64/include/asm/cputype.h` and util-linux's `lscpu` list them). An unknown code is
/// shown as a number, so a report is never wrong, only less helpful.
fn arm_name(implementer: u32, part: u32) -> String {
    let vendor = match implementer {
        0x41 => "ARM",
        0x42 => "Broadcom",
        0x43 => "Cavium",
        0x46 => "Fujitsu",
        0x48 => "HiSilicon",
        0x4e => "NVIDIA",
        0x51 => "Qualcomm",
        0x53 => "Samsung",
        0x56 => "Marvell",
        0x61 => "Apple",
        0x6d => "Microsoft",
        0xc0 => "Ampere",
        _ => return format!("CPU implementer {implementer:#04x} part {part:#05x}"),
    };
    let name = match (implementer, part) {
        (0x41, 0xb76) => "ARM1176",
        (0x41, 0xc05) => "Cortex-A5",
        (0x41, 0xc07) => "Cortex-A7",
        (0x41, 0xc08) => "Cortex-A8",
        (0x41, 0xc09) => "Cortex-A9",
        (0x41, 0xc0d | 0xc0e) => "Cortex-A17",
        (0x41, 0xc0f) => "Cortex-A15",
        (0x41, 0xd01) => "Cortex-A32",
        (0x41, 0xd03) => "Cortex-A53",
        (0x41, 0xd04) => "Cortex-A35",
        (0x41, 0xd05) => "Cortex-A55",
        (0x41, 0xd06) => "Cortex-A65",
        (0x41, 0xd07) => "Cortex-A57",
        (0x41, 0xd08) => "Cortex-A72",
        (0x41, 0xd09) => "Cortex-A73",
        (0x41, 0xd0a) => "Cortex-A75",
        (0x41, 0xd0b) => "Cortex-A76",
        (0x41, 0xd0c) => "Neoverse-N1",
        (0x41, 0xd0d) => "Cortex-A77",
        (0x41, 0xd0e) => "Cortex-A76AE",
        (0x41, 0xd40) => "Neoverse-V1",
        (0x41, 0xd41) => "Cortex-A78",
        (0x41, 0xd42) => "Cortex-A78AE",
        (0x41, 0xd44) => "Cortex-X1",
        (0x41, 0xd46) => "Cortex-A510",
        (0x41, 0xd47) => "Cortex-A710",
        (0x41, 0xd48) => "Cortex-X2",
        (0x41, 0xd49) => "Neoverse-N2",
        (0x41, 0xd4b) => "Cortex-A78C",
        (0x41, 0xd4d) => "Cortex-A715",
        (0x41, 0xd4e) => "Cortex-X3",
        (0x41, 0xd4f) => "Neoverse-V2",
        (0x41, 0xd80) => "Cortex-A520",
        (0x41, 0xd81) => "Cortex-A720",
        (0x41, 0xd82) => "Cortex-X4",
        (0x41, 0xd85) => "Cortex-X925",
        (0x41, 0xd87) => "Cortex-A725",
        (0x42, 0x100) => "Brahma-B53",
        (0x48, 0xd01) => "Kunpeng-920",
        (0x4e, 0x003) => "Denver 2",
        (0x4e, 0x004) => "Carmel",
        (0x51, 0x04d | 0x06f) => "Krait",
        (0x51, 0x201 | 0x205 | 0x211) => "Kryo",
        (0x51, 0x800) => "Kryo 2XX Gold",
        (0x51, 0x801) => "Kryo 2XX Silver",
        (0x51, 0x802) => "Kryo 3XX Gold",
        (0x51, 0x803) => "Kryo 3XX Silver",
        (0x51, 0x804) => "Kryo 4XX Gold",
        (0x51, 0x805) => "Kryo 4XX Silver",
        (0x51, 0x001) => "Oryon",
        (0x53, 0x001) => "Exynos M1",
        (0x53, 0x002) => "Exynos M3",
        (0x53, 0x003) => "Exynos M4",
        (0x53, 0x004) => "Exynos M5",
        _ => return format!("{vendor} part {part:#05x}"),
    };
    format!("{vendor} {name}")
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::*;

    const X86: &str = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\
        flags\t\t: fpu aes sha_ni\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\n\
        model name\t: AMD EPYC 7B13\n";
    /// A Raspberry Pi 4 on a 64-bit kernel: no `Hardware` line, the device tree names it.
    const PI4: &str = "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n\
        CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\n\
        CPU revision\t: 3\n\nprocessor\t: 1\nCPU implementer\t: 0x41\nCPU part\t: 0xd08\n";
    /// A Snapdragon 855 phone: two kinds of Kryo core and the SoC in `Hardware`.
    const SM8150: &str = "processor\t: 0\nCPU implementer\t: 0x51\nCPU part\t: 0x805\n\n\
        processor\t: 1\nCPU implementer\t: 0x51\nCPU part\t: 0x805\n\n\
        processor\t: 2\nCPU implementer\t: 0x51\nCPU part\t: 0x804\n\n\
        Hardware\t: Qualcomm Technologies, Inc SM8150\n";
    /// A 32-bit ARM kernel: `model name` only says the architecture; the part code names it.
    const ARMV7: &str = "processor\t: 0\nmodel name\t: ARMv7 Processor rev 5 (v7l)\n\
        Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt\n\
        CPU implementer\t: 0x41\nCPU part\t: 0xc07\n\nHardware\t: Allwinner sun8i Family\n";
    /// A core this table does not know.
    const UNKNOWN: &str = "CPU implementer\t: 0x41\nCPU part\t: 0xfff\n\
        CPU implementer\t: 0x99\nCPU part\t: 0x001\n";

    #[test_case(X86, None, Some("AMD EPYC 7B13"), None ; "x86 server")]
    #[test_case(PI4, Some("Raspberry Pi 4 Model B Rev 1.4\0"), Some("ARM Cortex-A72"),
        Some("Raspberry Pi 4 Model B Rev 1.4") ; "raspberry pi 4 with a device tree")]
    #[test_case(SM8150, None, Some("2x Qualcomm Kryo 4XX Silver + 1x Qualcomm Kryo 4XX Gold"),
        Some("Qualcomm Technologies, Inc SM8150") ; "phone with two kinds of core")]
    #[test_case(ARMV7, Some("ignored, Hardware wins"), Some("ARM Cortex-A7"),
        Some("Allwinner sun8i Family") ; "armv7 board")]
    #[test_case(UNKNOWN, None, Some("1x ARM part 0xfff + 1x CPU implementer 0x99 part 0x001"),
        None ; "unknown codes are shown as numbers")]
    #[test_case("", Some("\0"), None, None ; "nothing known")]
    #[test_case("CPU part: 0xd08\nCPU implementer: zz\nCPU part: 0xd03\n", None, None, None ;
        "a part without a readable implementer is skipped")]
    fn names_the_cpu_and_board(
        cpuinfo: &str,
        tree: Option<&str>,
        want_model: Option<&str>,
        want_board: Option<&str>,
    ) {
        assert_eq!(model(cpuinfo).as_deref(), want_model);
        assert_eq!(board(cpuinfo, tree).as_deref(), want_board);
    }

    #[test]
    fn describes_itself_in_one_line() {
        let mut cpu = Cpu {
            model: Some("ARM Cortex-A72".to_owned()),
            board: Some("Raspberry Pi 4 Model B Rev 1.4".to_owned()),
            cores: 4,
        };
        assert_eq!(
            cpu.describe(),
            "ARM Cortex-A72 (Raspberry Pi 4 Model B Rev 1.4), 4 cores"
        );
        cpu.model = None;
        cpu.board = None;
        cpu.cores = 1;
        assert_eq!(cpu.describe(), "unknown CPU, 1 core");
    }

    #[test]
    fn this_machine_has_at_least_one_core() {
        assert!(Cpu::detect().cores >= 1);
    }
}
