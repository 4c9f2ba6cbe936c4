/**
 * `@smtpkit/session`: pure, sans-IO SMTP session machinery.
 *
 * So far this holds the SASL layer of SMTP AUTH (RFC 4954): server and client
 * step functions for PLAIN, LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER,
 * SCRAM-SHA-256 and SCRAM-SHA-256-PLUS. The server and client session state
 * machines are added on top of it.
 *
 * Runtime-agnostic: no I/O, no timers, no clock, no randomness, no Node APIs.
 *
 * @packageDocumentation
 */
export * from "./sasl/index.js";
export * from "./transition-table.js";
export * from "./server/index.js";
export * from "./client/index.js";
