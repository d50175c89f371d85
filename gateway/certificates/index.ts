export { CERTIFICATE_FONT_PACKAGE, loadCertificateFonts } from './fonts.js';
export { CERTIFICATE_LANGUAGES, type CertificateLanguage } from './labels.js';
export { type CertificateInstitute, type CertificateOptions, renderCertificate } from './render.js';
export { type GroupRow, groupRows, type ResultRow, resultRows } from './result-rows.js';
