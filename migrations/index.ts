// Every migration, in order. Listed explicitly rather than globbed so that the ESM build and jest
// load the same classes.
import { CreateCoreTables1795911535244 } from './1795911535244-CreateCoreTables.js';
import { AddGrantRevocationTracking1795915000000 } from './1795915000000-AddGrantRevocationTracking.js';
import { AddActiveGrantExpiryIndex1795916000000 } from './1795916000000-AddActiveGrantExpiryIndex.js';
import { AddSlackMessages1795916987773 } from './1795916987773-AddSlackMessages.js';
import { AddWebSessions1795920000000 } from './1795920000000-AddWebSessions.js';
import { AddApprovalReceipts1795930000000 } from './1795930000000-AddApprovalReceipts.js';
import { AddRequestIntent1795930100000 } from './1795930100000-AddRequestIntent.js';
import { AddServiceAccounts1795930200000 } from './1795930200000-AddServiceAccounts.js';
import { AddBreakGlass1795930300000 } from './1795930300000-AddBreakGlass.js';
import { AddDelegation1795930400000 } from './1795930400000-AddDelegation.js';
import { AddRequesterGroups1795930500000 } from './1795930500000-AddRequesterGroups.js';
import { AddGrantRevocationQueue1795930600000 } from './1795930600000-AddGrantRevocationQueue.js';
import { AddSeparationRecords1795930700000 } from './1795930700000-AddSeparationRecords.js';
import { AddAuditHead1795930800000 } from './1795930800000-AddAuditHead.js';
import { MakeAuditLogAppendOnly1795930900000 } from './1795930900000-MakeAuditLogAppendOnly.js';
import { AddLogKeys1795931000000 } from './1795931000000-AddLogKeys.js';
import { AddTransparencyLog1795931100000 } from './1795931100000-AddTransparencyLog.js';
import { AddAuditSinkCursors1795931200000 } from './1795931200000-AddAuditSinkCursors.js';
import { AddRevocationExpiry1795931300000 } from './1795931300000-AddRevocationExpiry.js';
import { AddRevokedCredentials1795931400000 } from './1795931400000-AddRevokedCredentials.js';
import { AddNotificationOutbox1795931500000 } from './1795931500000-AddNotificationOutbox.js';
import { AddGrantEndsIndex1795931700000 } from './1795931700000-AddGrantEndsIndex.js';
import { AddRequestExtends1795932100000 } from './1795932100000-AddRequestExtends.js';
import { AddRequestFollowUps1795932300000 } from './1795932300000-AddRequestFollowUps.js';
import { AddPasskeys1795932500000 } from './1795932500000-AddPasskeys.js';
import { AddApprovalSignatures1795932700000 } from './1795932700000-AddApprovalSignatures.js';
import { AddSshCertificates1795932900000 } from './1795932900000-AddSshCertificates.js';

export const migrations = [
  CreateCoreTables1795911535244,
  AddGrantRevocationTracking1795915000000,
  AddActiveGrantExpiryIndex1795916000000,
  AddSlackMessages1795916987773,
  AddWebSessions1795920000000,
  AddApprovalReceipts1795930000000,
  AddRequestIntent1795930100000,
  AddServiceAccounts1795930200000,
  AddBreakGlass1795930300000,
  AddDelegation1795930400000,
  AddRequesterGroups1795930500000,
  AddGrantRevocationQueue1795930600000,
  AddSeparationRecords1795930700000,
  AddAuditHead1795930800000,
  MakeAuditLogAppendOnly1795930900000,
  AddLogKeys1795931000000,
  AddTransparencyLog1795931100000,
  AddAuditSinkCursors1795931200000,
  AddRevocationExpiry1795931300000,
  AddRevokedCredentials1795931400000,
  AddNotificationOutbox1795931500000,
  AddGrantEndsIndex1795931700000,
  AddRequestExtends1795932100000,
  AddRequestFollowUps1795932300000,
  AddPasskeys1795932500000,
  AddApprovalSignatures1795932700000,
  AddSshCertificates1795932900000,
];
