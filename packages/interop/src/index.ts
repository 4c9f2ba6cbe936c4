/**
 * `@smtpkit/interop` (private): the harness every integration test uses to
 * talk to real SMTP peers on loopback. Peer servers (Postfix smtpd,
 * smtp-sink, aiosmtpd, nodemailer's smtp-server, Exim, Dovecot IMAP), real
 * clients as drivers (swaks, Python smtplib, msmtp, nodemailer), a raw
 * line-based SMTP client for exact bytes, and the helpers around them: free
 * ports, self-signed certificates, polling, stored-message comparison, and
 * the skip-outside-CI / fail-in-CI rule for missing peers.
 *
 * Everything binds or connects to 127.0.0.1 only, never port 25, and every
 * process it starts is killed on `stop()` and on test-process exit.
 *
 * @module
 */

export * from "./interop-error.js";
export * from "./free-port.js";
export * from "./wait-for.js";
export * from "./process-registry.js";
export * from "./run-command.js";
export * from "./managed-process.js";
export * from "./certificate.js";
export * from "./raw-smtp-client.js";
export * from "./peer-availability.js";
export * from "./stored-message.js";
export * from "./peer-common.js";
export * from "./peer-postfix.js";
export * from "./peer-smtp-sink.js";
export * from "./peer-aiosmtpd.js";
export * from "./peer-smtp-server.js";
export * from "./cache-directory.js";
export * from "./exim-binary.js";
export * from "./peer-exim.js";
export * from "./peer-dovecot.js";
export * from "./client-common.js";
export * from "./client-swaks.js";
export * from "./client-msmtp.js";
export * from "./client-smtplib.js";
export * from "./client-nodemailer.js";
export * from "./smtp-tap.js";
export * from "./ehlo-capture.js";
export * from "./client-drivers.js";
