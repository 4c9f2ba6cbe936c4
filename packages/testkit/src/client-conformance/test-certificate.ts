/**
 * The scripted server's TLS identity: a self-signed P-256 certificate for
 * `conform.example.test`, `localhost` and `127.0.0.1`, valid for 100 years,
 * made once with `openssl req -x509 -newkey ec` for this package.
 *
 * It is public (it ships in the package): it protects nothing, and exists
 * only so that a client that requires STARTTLS can reach the later cases.
 * Point the client under test at it without certificate checks, or trust
 * this certificate, or give the runner your own (`tls: { key, cert }`).
 *
 * @module
 */

/** The certificate (PEM) the scripted server presents by default. Public: for tests only. */
export const CLIENT_CONFORMANCE_CERTIFICATE: string =
  "-----BEGIN CERTIFICATE-----\n" +
  "MIIByDCCAW+gAwIBAgIUXB1HnhU5zEkS+J0doDfJ1aQHcW0wCgYIKoZIzj0EAwIw\n" +
  "HzEdMBsGA1UEAwwUY29uZm9ybS5leGFtcGxlLnRlc3QwIBcNMjYxMTI5MTYwMzQw\n" +
  "WhgPMjEyNjExMDUxNjAzNDBaMB8xHTAbBgNVBAMMFGNvbmZvcm0uZXhhbXBsZS50\n" +
  "ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEgU2/SQdwK8Q/rMmyrEb5+PIO\n" +
  "Kois6SL78PUA2dUg45a8dzviPZNjSWtBH0FXqrGhrIZwCt3K5f8eq2PReBNB/KOB\n" +
  "hjCBgzAdBgNVHQ4EFgQU7ieygH+i83vxIUpfvZxH17SYOuAwHwYDVR0jBBgwFoAU\n" +
  "7ieygH+i83vxIUpfvZxH17SYOuAwDwYDVR0TAQH/BAUwAwEB/zAwBgNVHREEKTAn\n" +
  "ghRjb25mb3JtLmV4YW1wbGUudGVzdIIJbG9jYWxob3N0hwR/AAABMAoGCCqGSM49\n" +
  "BAMCA0cAMEQCIBm6FQxlrKzzmDrj+e4UNk/AQo0/BteE7j36++ZjLBFbAiApkvtf\n" +
  "lqZB7IvM4y6q185DKhbRLmTa6No25YEoDHO3QA==\n" +
  "-----END CERTIFICATE-----\n";

/** The certificate's private key (PEM). Public, as it ships in the package: for tests only. */
export const CLIENT_CONFORMANCE_PRIVATE_KEY: string =
  "-----BEGIN PRIVATE KEY-----\n" +
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgfBZCZClr1QqUkvDR\n" +
  "V7Vf++yz12vEEB1Trs+LOz6y9sahRANCAASBTb9JB3ArxD+sybKsRvn48g4qiKzp\n" +
  "Ivvw9QDZ1SDjlrx3O+I9k2NJa0EfQVeqsaGshnAK3crl/x6rY9F4E0H8\n" +
  "-----END PRIVATE KEY-----\n";
