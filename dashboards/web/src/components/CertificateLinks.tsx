/** The certificate (or the notice of rejection) of a stored record, in the language chosen here. */
import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { useI18n } from '../i18n.js';

type CertificateLang = 'zh' | 'en' | 'both';

interface CertificateLinksProps {
  record: string;
  pass: boolean;
  /** The id of the language select (a page may show two sets of links). */
  selectId: string;
  /** `data-testid` of the download link. */
  downloadTestId?: string;
}

export function CertificateLinks({ record, pass, selectId, downloadTestId }: CertificateLinksProps) {
  const { client } = useAuth();
  const { t, lang } = useI18n();
  const [certificateLang, setCertificateLang] = useState<CertificateLang>(lang);
  const certificate = client.url(`/api/records/${encodeURIComponent(record)}/certificate`, {
    lang: certificateLang,
  });
  return (
    <div class="cert-links">
      <label for={selectId}>{t('bench.certificateLanguage')}</label>
      <select
        id={selectId}
        value={certificateLang}
        onChange={(e) => setCertificateLang((e.target as HTMLSelectElement).value as CertificateLang)}
      >
        <option value="zh">中文</option>
        <option value="en">English</option>
        <option value="both">{t('bench.bilingual')}</option>
      </select>
      <a class="button" href={certificate} target="_blank" rel="noopener">
        {pass ? t('bench.openCertificate') : t('bench.openRejection')}
      </a>
      <a class="button" data-testid={downloadTestId} href={certificate} download={`${record}.pdf`}>
        {t('bench.downloadPdf')}
      </a>
    </div>
  );
}
