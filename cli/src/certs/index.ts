/**
 * Certificates. API:
 *   bootstrapCertificates(paths, { storeRoot, log? })  CA + client cert on first use ("Creating CA: ..." lines)
 *   defaultCertPaths(storeRoot)                         <root>/certs/{ca,ca-key,cert,key}.pem
 *   generateServerCert({ caCertPem, caKeyPem, org, hosts, clientAuth? })  org = "<user>.<machine>"
 *   generateCA / generateClientCert / generateRsaKey / localUser
 *   readCertSANs(pem), checkServerCertHost(certPath, host), certMismatchMessage(name, host, sans)
 *   checkTLS(target), dockerVersion(target), daemonRequest(target, method, path)
 * Importing this index does not load node-forge; generation loads it on first use.
 */
export * from './generate';
export * from './bootstrap';
export * from './inspect';
export * from './tls-check';
