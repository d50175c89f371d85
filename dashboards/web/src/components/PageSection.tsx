/** The frame of every page: one section named by its heading, which takes the focus after a navigation. */
import type { ComponentChildren } from 'preact';

export function PageSection({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        {title}
      </h1>
      {children}
    </section>
  );
}
