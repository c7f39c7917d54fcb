// Embeds every YAML file under decks/ into the binary, so an installed ecsdrill needs no
// files beside it.
use std::{env, fs, path::Path};

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&root).join("decks");
    println!("cargo:rerun-if-changed=decks");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for name in &names {
        for b in name
            .bytes()
            .chain(fs::read(dir.join(name)).expect("read deck"))
        {
            hash ^= b as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    let mut out = format!(
        "/// FNV-1a of the embedded files, part of the catalog cache key.\npub const EMBEDDED_HASH: u64 = {hash};\n"
    );
    out.push_str("/// Files of decks/, embedded at build time: (path, contents).\npub static EMBEDDED_FILES: &[(&str, &str)] = &[\n");
    for name in &names {
        println!("cargo:rerun-if-changed=decks/{name}");
        out.push_str(&format!(
            "    (\"decks/{name}\", include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/decks/{name}\"))),\n"
        ));
    }
    out.push_str("];\n");

    // The sandbox server and its pinned requirements, written out by `sandbox install`.
    let sandbox = Path::new(&root).join("sandbox");
    println!("cargo:rerun-if-changed=sandbox/requirements.txt");
    println!("cargo:rerun-if-changed=sandbox/server/ecsdrill_sandbox");
    let pkg = sandbox.join("server/ecsdrill_sandbox");
    // the package and its subpackages (ecs/), as paths relative to the package
    let mut py: Vec<String> = Vec::new();
    let mut dirs = vec![String::new()];
    while let Some(rel) = dirs.pop() {
        let Ok(rd) = fs::read_dir(pkg.join(&rel)) else {
            continue;
        };
        for entry in rd.filter_map(|e| e.ok()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if entry.file_type().is_ok_and(|t| t.is_dir()) && name != "__pycache__" {
                println!("cargo:rerun-if-changed=sandbox/server/ecsdrill_sandbox/{path}");
                dirs.push(path);
            } else if name.ends_with(".py") {
                py.push(path);
            }
        }
    }
    py.sort();
    let mut sb = String::from(
        "/// The sandbox server package: (path under the install directory, contents).\npub static SANDBOX_FILES: &[(&str, &str)] = &[\n",
    );
    for name in &py {
        println!("cargo:rerun-if-changed=sandbox/server/ecsdrill_sandbox/{name}");
        sb.push_str(&format!(
            "    (\"server/ecsdrill_sandbox/{name}\", include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/sandbox/server/ecsdrill_sandbox/{name}\"))),\n"
        ));
    }
    sb.push_str("];\n/// Pinned, hashed Python requirements of the sandbox.\npub static SANDBOX_REQUIREMENTS: &str = include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/sandbox/requirements.txt\"));\n");
    // The labs, and the incident drills with their baseline, read wherever the binary is installed.
    embed_yaml_dir(&mut sb, &sandbox, "labs", "LAB_FILES");
    embed_yaml_dir(&mut sb, &sandbox, "drills", "DRILL_FILES");
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&out_dir).join("embedded_decks.rs"), out).expect("write embedded_decks.rs");
    fs::write(Path::new(&out_dir).join("embedded_sandbox.rs"), sb)
        .expect("write embedded_sandbox.rs");
}

/// `pub static NAME: &[(&str, &str)]` with every YAML file of `sandbox/DIR`, sorted by name.
fn embed_yaml_dir(sb: &mut String, sandbox: &Path, dir: &str, name: &str) {
    println!("cargo:rerun-if-changed=sandbox/{dir}");
    let mut files: Vec<String> = fs::read_dir(sandbox.join(dir))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    sb.push_str(&format!(
        "/// Files of sandbox/{dir}/: (path, contents).\npub static {name}: &[(&str, &str)] = &[\n"
    ));
    for file in &files {
        println!("cargo:rerun-if-changed=sandbox/{dir}/{file}");
        sb.push_str(&format!(
            "    (\"sandbox/{dir}/{file}\", include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/sandbox/{dir}/{file}\"))),\n"
        ));
    }
    sb.push_str("];\n");
}
