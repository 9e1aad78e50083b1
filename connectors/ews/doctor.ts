import { errorMessage } from '../../src/errors.ts';
import type { Settings } from '../../src/settings.ts';
import { ewsMailFromSettings } from './ports.ts';

/** One line of `draftbridge doctor`: what was checked, whether it passed, and the setting to change. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  setting: string;
}

/**
 * Exchange checks for `draftbridge doctor` against one mailbox (EWS_DOCTOR_MAILBOX): the endpoint
 * answers and takes the credentials, impersonation of the mailbox is allowed (its well-known folders
 * can be read), and its free/busy can be read. Read-only: nothing is created in the mailbox.
 */
export async function ewsDoctorChecks(
  settings: Settings,
  mailbox = settings.EWS_DOCTOR_MAILBOX,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  if (!settings.EWS_URL)
    return [{ name: 'EWS endpoint', ok: false, detail: 'EWS_URL is not set', setting: 'EWS_URL' }];
  if (!mailbox) {
    return [
      {
        name: 'EWS mailbox',
        ok: false,
        detail: 'no mailbox to check impersonation against',
        setting: 'EWS_DOCTOR_MAILBOX',
      },
    ];
  }
  const ews = ewsMailFromSettings(settings);
  const credentialSetting = settings.EWS_AUTH === 'oauth' ? 'EWS_OAUTH_CLIENT_ID' : 'EWS_USERNAME';
  try {
    try {
      await ews.folderOf(mailbox, 'doctor');
      checks.push({
        name: `EWS ${settings.EWS_AUTH} sign-in and impersonation of the checked mailbox`,
        ok: true,
        detail: 'Drafts, Sent Items, Inbox read',
        setting: 'EWS_DOCTOR_MAILBOX',
      });
    } catch (err) {
      const message = errorMessage(err);
      const setting = /401|credentials|token/.test(message)
        ? credentialSetting
        : /impersonat|ApplicationImpersonation/.test(message)
          ? 'EWS_DOCTOR_MAILBOX'
          : 'EWS_URL';
      checks.push({
        name: `EWS ${settings.EWS_AUTH} sign-in and impersonation`,
        ok: false,
        detail: message,
        setting,
      });
      return checks;
    }
    try {
      const now = new Date();
      await ews.getSchedule(mailbox, now, new Date(now.getTime() + 86_400_000));
      checks.push({
        name: 'EWS free/busy (GetUserAvailability)',
        ok: true,
        detail: 'availability read',
        setting: 'EWS_DOCTOR_MAILBOX',
      });
    } catch (err) {
      checks.push({
        name: 'EWS free/busy (GetUserAvailability)',
        ok: false,
        detail: errorMessage(err),
        setting: 'EWS_DOCTOR_MAILBOX',
      });
    }
    return checks;
  } finally {
    ews.close();
  }
}
