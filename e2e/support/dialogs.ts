import type { Page } from "@playwright/test";

/** Answers the next window.confirm, and hands back what it asked. */
export const answerConfirm = (page: Page, accept: boolean): Promise<string> =>
  new Promise((resolve) => {
    page.once("dialog", (dialog) => {
      resolve(dialog.message());
      void (accept ? dialog.accept() : dialog.dismiss());
    });
  });
