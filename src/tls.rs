//! TLS for the hall LAN: the hall's own CA and server certificate (`hallq tls init`, rcgen),
//! the server's rustls configuration from those files, and a listener that does the TLS
//! handshake for `axum::serve` (HTTPS and WSS on one port).
//!
//! Every client ([`hallq_proto::HallClient`], the kiosk, the displays, browsers) trusts the
//! hall CA (`ca.pem`), given with `--ca` or installed in the system's trust store.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::server::TlsStream;

/// The names every server certificate holds, so the service can be reached on the server
/// itself (health checks, a local reverse proxy).
pub const ALWAYS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// How long a client may take for its TLS handshake.
pub const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; further connections wait in the kernel's backlog.
const HANDSHAKES_AT_ONCE: usize = 256;

/// The CA lives this long; kiosks trust it until then.
const CA_YEARS: i32 = 20;
/// A server certificate lives this long; `hallq tls init` again renews it under the same CA.
const SERVER_YEARS: i32 = 5;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

// ---------------------------------------------------------------------------------------
// hallq tls init

/// What `hallq tls init` is asked for.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The hall's name, in the CA's name (such as 某某县市民之家).
    pub hall: String,
    /// Where ca.pem, ca.key, server.pem and server.key are written.
    pub out: PathBuf,
    /// Host names and IP addresses the server is reached at, besides [`ALWAYS`].
    pub hosts: Vec<String>,
}

/// What `hallq tls init` wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub ca: PathBuf,
    pub ca_key: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The names and addresses in the server certificate.
    pub names: Vec<String>,
    /// An existing CA (ca.key) signed the new server certificate: devices that trust its
    /// ca.pem need nothing new.
    pub reused_ca: bool,
    /// The server certificate's last day (YYYY-MM-DD).
    pub server_until: String,
}

fn ca_params(hall: &str) -> anyhow::Result<rcgen::CertificateParams> {
    use rcgen::{BasicConstraints, DnType, IsCa, KeyUsagePurpose};
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, format!("hallq 大厅 CA {hall}"));
    p.distinguished_name.push(DnType::OrganizationName, hall.to_string());
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    Ok(p)
}

/// `hallq tls init`: a hall CA (kept when DIR/ca.key exists, so devices keep trusting it)
/// and a server certificate signed by it for `hosts` and [`ALWAYS`]. Key files are 0600.
pub fn init(opts: &InitOptions) -> anyhow::Result<Written> {
    let hall = opts.hall.trim();
    if hall.is_empty() {
        bail!("--hall: 请给出大厅名称，例如 --hall 某某县市民之家 (give the hall's name)");
    }
    let mut names: Vec<String> = ALWAYS.iter().map(|s| s.to_string()).collect();
    for h in opts.hosts.iter().flat_map(|h| h.split(',')).map(str::trim).filter(|h| !h.is_empty()) {
        let h = h.trim_start_matches('[').trim_end_matches(']');
        if h.contains("://") || h.contains('/') {
            bail!("--host {h}: 只写主机名或 IP 地址，不带 https:// 和端口 (a host name or an IP address only)");
        }
        if !names.iter().any(|n| n.eq_ignore_ascii_case(h)) {
            names.push(h.to_string());
        }
    }
    std::fs::create_dir_all(&opts.out).with_context(|| format!("创建目录 {} 失败 (cannot create the directory)", opts.out.display()))?;
    let ca_path = opts.out.join("ca.pem");
    let ca_key_path = opts.out.join("ca.key");
    let cert_path = opts.out.join("server.pem");
    let key_path = opts.out.join("server.key");

    let today = chrono::Local::now().date_naive();
    let ymd = |d: chrono::NaiveDate| {
        use chrono::Datelike;
        rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    let reused_ca = ca_key_path.exists();
    let (ca_key, ca_pem) = if reused_ca {
        let pem = std::fs::read_to_string(&ca_key_path).with_context(|| format!("读取 {} 失败", ca_key_path.display()))?;
        let key = rcgen::KeyPair::from_pem(&pem).map_err(|e| anyhow::anyhow!("{} 不是可用的私钥：{e}", ca_key_path.display()))?;
        let ca_pem = std::fs::read_to_string(&ca_path).with_context(|| {
            format!(
                "{} 存在但 {} 不在：把原来的 ca.pem 放回，或换一个目录重新生成 CA (ca.key without ca.pem)",
                ca_key_path.display(),
                ca_path.display()
            )
        })?;
        (key, ca_pem)
    } else {
        let key = rcgen::KeyPair::generate()?;
        let mut params = ca_params(hall)?;
        params.not_before = ymd(today - chrono::Days::new(1));
        params.not_after = ymd(today.with_year_offset(CA_YEARS));
        let cert = params.self_signed(&key)?;
        write_file(&ca_key_path, key.serialize_pem().as_bytes(), true)?;
        write_file(&ca_path, cert.pem().as_bytes(), false)?;
        (key, cert.pem())
    };
    // The same name and key as the CA devices trust: a server certificate signed by it
    // chains to their ca.pem.
    let issuer = rcgen::Issuer::new(ca_params(hall)?, &ca_key);

    let server_key = rcgen::KeyPair::generate()?;
    let mut params =
        rcgen::CertificateParams::new(names.clone()).map_err(|e| anyhow::anyhow!("--host：{e}（主机名只能含字母、数字、- 和 .）"))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    let main_name = names.get(ALWAYS.len()).cloned().unwrap_or_else(|| "localhost".into());
    params.distinguished_name.push(rcgen::DnType::CommonName, main_name);
    params.distinguished_name.push(rcgen::DnType::OrganizationName, hall.to_string());
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let until = today.with_year_offset(SERVER_YEARS);
    params.not_before = ymd(today - chrono::Days::new(1));
    params.not_after = ymd(until);
    let cert = params.signed_by(&server_key, &issuer)?;

    // Check the chain as a client will, before anything is replaced.
    if let Err(e) = verify_chain(ca_pem.as_bytes(), cert.der()) {
        bail!(
            "新的服务器证书与 {} 对不上（{e}）：ca.key 与 ca.pem 须是同一个 CA，--hall 须与第一次生成时相同。\
             The new certificate does not chain to {}: keep ca.key and ca.pem together and use the same --hall as the first time.",
            ca_path.display(),
            ca_path.display()
        );
    }
    write_file(&key_path, server_key.serialize_pem().as_bytes(), true)?;
    write_file(&cert_path, cert.pem().as_bytes(), false)?;
    Ok(Written {
        ca: ca_path,
        ca_key: ca_key_path,
        cert: cert_path,
        key: key_path,
        names,
        reused_ca,
        server_until: until.format("%Y-%m-%d").to_string(),
    })
}

trait YearOffset {
    fn with_year_offset(self, years: i32) -> Self;
}

impl YearOffset for chrono::NaiveDate {
    fn with_year_offset(self, years: i32) -> Self {
        self.checked_add_months(chrono::Months::new(12 * years as u32)).unwrap_or(self)
    }
}

/// Whether `cert` chains to the CA in `ca_pem` for localhost, as rustls checks it.
fn verify_chain(ca_pem: &[u8], cert: &CertificateDer<'_>) -> anyhow::Result<()> {
    use rustls::client::danger::ServerCertVerifier;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(c?)?;
    }
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider()).build()?;
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    verifier.verify_server_cert(cert, &[], &name, &[], rustls::pki_types::UnixTime::now())?;
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8], secret: bool) -> anyhow::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mode = if secret { 0o600 } else { 0o644 };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("写入 {} 失败 (cannot write)", path.display()))?;
    // An existing file keeps its mode on open: set it.
    f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// What `hallq tls init` prints: the files, how to start the service with them, and how to
/// trust the CA on kiosks, display boxes and browsers, in Chinese and then in English.
pub fn instructions(w: &Written) -> String {
    let dir = w.ca.parent().map(|p| p.display().to_string()).unwrap_or_default();
    let host = w.names.get(ALWAYS.len()).cloned().unwrap_or_else(|| "127.0.0.1".into());
    let host_url = if host.contains(':') { format!("[{host}]") } else { host.clone() };
    let server = format!("https://{host_url}:8443");
    let names = w.names.join(", ");
    let (ca, cert, key, ca_key) = (w.ca.display(), w.cert.display(), w.key.display(), w.ca_key.display());
    let ca_line_zh = if w.reused_ca {
        "沿用已有的大厅 CA：已信任它的自助机和显示屏不用改动。".to_string()
    } else {
        "新建了大厅 CA：每台自助机、显示屏和柜台电脑都要信任 ca.pem（见下）。".to_string()
    };
    let ca_line_en = if w.reused_ca {
        "The existing hall CA signed it: devices that trust its ca.pem need nothing new."
    } else {
        "A new hall CA was made: every kiosk, display box and counter PC must trust ca.pem (below)."
    };
    let lan_zh = if w.names.len() == ALWAYS.len() {
        "注意：证书只含 localhost 和 127.0.0.1；局域网里的设备要用服务器的 IP 或名字访问，请加 --host（如 --host 192.168.1.10）重新运行。\n"
    } else {
        ""
    };
    let lan_en = if w.names.len() == ALWAYS.len() {
        "Note: the certificate names only localhost and 127.0.0.1; for devices on the LAN run again with --host (the server's IP or name).\n"
    } else {
        ""
    };
    format!(
        "大厅证书已写入 {dir}：
  {ca}      大厅 CA 证书（公开）：装到自助机、显示屏和浏览器
  {ca_key}      大厅 CA 私钥（0600）：请离线妥善保管，重新签发服务器证书时需要（与 ca.pem 放在同一目录再运行 hallq tls init）
  {cert}  服务器证书，适用于 {names}，有效期至 {until}
  {key}  服务器私钥（0600）：只留在叫号服务器上
{ca_line_zh}
{lan_zh}
启动叫号服务（HTTPS 与 WSS）：
  hallq serve --config /etc/hallq/hall.toml --data /var/lib/hallq --listen 0.0.0.0:8443 \\
      --tls-cert {cert} --tls-key {key}
服务以 hallq 用户运行时（deploy/systemd），私钥须归它所有：sudo chown hallq: {key}

自助机和显示屏：把 ca.pem 拷到设备上（如 /etc/hallq/ca.pem），启动时用 --ca 指定：
  hallq kiosk --server {server} --ca /etc/hallq/ca.pem --token 自助机令牌 …
  hallq display --server {server} --ca /etc/hallq/ca.pem --token 显示屏令牌 --hall

浏览器和 Debian 系统（柜台终端、网页显示屏、评价平板）：
  sudo cp ca.pem /usr/local/share/ca-certificates/hallq-ca.crt
  sudo update-ca-certificates
  Chromium/Firefox 使用自己的证书库时：在浏览器“设置 → 证书 → 颁发机构”中导入 ca.pem 并信任它用于识别网站；
  或 certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n hallq-ca -i ca.pem（软件包 libnss3-tools）。
装好后，hallq kiosk 和 hallq display 不带 --ca 也信任系统证书库中的大厅 CA。

---
Hall certificates written to {dir}:
  {ca}      the hall CA certificate (public): install it on kiosks, display boxes and browsers
  {ca_key}      the hall CA's private key (0600): keep it offline; it signs new server certificates (run hallq tls init again with it beside ca.pem)
  {cert}  the server certificate for {names}, valid until {until}
  {key}  the server's private key (0600): keep it on the hall server only
{ca_line_en}
{lan_en}
Start the hall service with HTTPS and WSS:
  hallq serve --config /etc/hallq/hall.toml --data /var/lib/hallq --listen 0.0.0.0:8443 \\
      --tls-cert {cert} --tls-key {key}
When the service runs as user hallq (deploy/systemd), the key must be its own: sudo chown hallq: {key}

Kiosks and display boxes: copy ca.pem to the device (such as /etc/hallq/ca.pem) and pass it with --ca:
  hallq kiosk --server {server} --ca /etc/hallq/ca.pem --token KIOSK-TOKEN …
  hallq display --server {server} --ca /etc/hallq/ca.pem --token DISPLAY-TOKEN --hall

Browsers and Debian (counter terminals, web displays, rating tablets):
  sudo cp ca.pem /usr/local/share/ca-certificates/hallq-ca.crt
  sudo update-ca-certificates
  Where Chromium or Firefox keep their own store: import ca.pem under Settings → Certificates → Authorities
  and trust it to identify websites; or certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n hallq-ca -i ca.pem (package libnss3-tools).
Once installed, hallq kiosk and hallq display trust the hall CA from the system's store without --ca.
",
        until = w.server_until,
    )
}

// ---------------------------------------------------------------------------------------
// hallq serve --tls-cert --tls-key

/// The server's TLS configuration from a PEM certificate chain and its private key.
pub fn server_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| {
            anyhow::anyhow!(
                "--tls-cert {}：无法读取（{e}）；用 hallq tls init 生成 server.pem (cannot read the certificate)",
                cert.display()
            )
        })?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("--tls-cert {}：不是 PEM 证书（{e}）(not a PEM certificate)", cert.display()))?;
    if certs.is_empty() {
        bail!("--tls-cert {}：文件中没有证书，应为 hallq tls init 生成的 server.pem (no certificate in the file)", cert.display());
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        anyhow::anyhow!(
            "--tls-key {}：无法读取私钥（{e}）；应为 hallq tls init 生成的 server.key (cannot read the private key)",
            key.display()
        )
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(key) {
            if m.permissions().mode() & 0o077 != 0 {
                let msg = format!(
                    "--tls-key {} 可被其他用户读取（权限 {:o}）：请 chmod 600 (the private key is readable by others)",
                    key.display(),
                    m.permissions().mode() & 0o777
                );
                tracing::warn!("{msg}");
                eprintln!("warning: {msg}");
            }
        }
    }
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring offers TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| {
            anyhow::anyhow!(
                "--tls-cert {} 与 --tls-key {} 不是一对（{e}）：请用 hallq tls init 同一次生成的 server.pem 和 server.key (certificate and key do not match)",
                cert.display(),
                key.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A listener for `axum::serve` that answers in TLS: connections are accepted and their
/// handshakes run concurrently, each within [`HANDSHAKE_DEADLINE`]; a client that speaks
/// plain HTTP to it is told to use https://.
pub struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let task = tokio::spawn(accept_loop(tcp, acceptor, tx));
        Ok(TlsListener { rx, local, task })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accept loop ended (never while the listener is kept): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

async fn accept_loop(tcp: TcpListener, acceptor: tokio_rustls::TlsAcceptor, tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>) {
    let permits = Arc::new(Semaphore::new(HANDSHAKES_AT_ONCE));
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else { return };
        let (stream, peer) = match tcp.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: wait a moment, as axum does.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if tx.is_closed() {
            return;
        }
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _ = stream.set_nodelay(true);
            match tokio::time::timeout(HANDSHAKE_DEADLINE, handshake(stream, &acceptor)).await {
                Ok(Ok(Some(tls))) => {
                    let _ = tx.send((tls, peer)).await;
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                Err(_) => tracing::debug!("TLS handshake with {peer} took too long"),
            }
        });
    }
}

/// The TLS handshake; `None` when the client spoke plain HTTP (it was told to use https).
async fn handshake(mut stream: TcpStream, acceptor: &tokio_rustls::TlsAcceptor) -> std::io::Result<Option<TlsStream<TcpStream>>> {
    let mut first = [0u8; 1];
    if stream.peek(&mut first).await? == 0 {
        return Ok(None);
    }
    // A TLS connection starts with a handshake record (22); anything else is plain text.
    if first[0] != 0x16 {
        if first[0].is_ascii_uppercase() {
            let body = "此端口只接受 HTTPS：请把地址改为 https://（并信任大厅 CA，见 hallq tls init）。\n\
                        This port speaks HTTPS only: use https:// (and trust the hall CA, see hallq tls init).\n";
            let answer = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        return Ok(None);
    }
    acceptor.accept(stream).await.map(Some)
}
