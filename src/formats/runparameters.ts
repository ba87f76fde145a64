import { FormatError } from './format-error.js';
import { child, children, findKey, parseXml, text, type XmlNode } from './xml.js';

/** What RunParameters.xml says about a run; every field optional, instruments differ widely. */
export interface RunParameters {
  experimentName: string | undefined;
  /** `MiSeq`, `NextSeq`, `HiSeq`, `NovaSeq`, `NextSeq 1000/2000`, `NovaSeq X`, or undefined. */
  instrumentType: string | undefined;
  instrumentId: string | undefined;
  applicationName: string | undefined;
  applicationVersion: string | undefined;
  chemistry: string | undefined;
  rtaVersion: string | undefined;
  flowcellSerial: string | undefined;
  reagentKitSerial: string | undefined;
  reagentKitVersion: string | undefined;
  runNumber: number | undefined;
  /**
   * How the instrument reads i5: `A` (forward strand: MiSeq, HiSeq 2000/2500, NovaSeq 6000 v1.0
   * kits) or `B` (reverse complement: NextSeq, MiniSeq, HiSeq 3000/4000/X, NovaSeq v1.5 kits).
   * From `WorkflowType`/`SbsConsumableVersion` when written, else from the instrument type.
   */
  i5Orientation: 'A' | 'B' | undefined;
}

const FILE = 'RunParameters.xml';

/** Parses RunParameters.xml / runParameters.xml of MiSeq, NextSeq, HiSeq, NovaSeq. */
export function parseRunParameters(xml: string): RunParameters {
  const doc = parseXml(xml, FILE);
  const rootKey = findKey(doc, 'RunParameters');
  if (!rootKey) throw new FormatError('has no <RunParameters> element', undefined, FILE);
  const root = doc[rootKey] as XmlNode;
  const setup = child(root, 'Setup');
  const get = (...names: string[]): string | undefined => {
    for (const scope of [root, setup]) {
      for (const name of names) {
        const key = findKey(scope, name);
        const v = key === undefined ? undefined : text(scope, key);
        if (v !== undefined && v !== '') return v;
      }
    }
    return undefined;
  };
  const rfid = (tag: string) => {
    const key = findKey(root, tag);
    return key === undefined ? undefined : text(child(root, key), 'SerialNumber') || undefined;
  };

  const applicationName = get('ApplicationName', 'Application');
  const instrumentId = get('InstrumentID', 'InstrumentId', 'ScannerID', 'InstrumentSerialNumber');
  const instrumentType = detectInstrument(applicationName, instrumentId, get('InstrumentType'));
  const workflowType = get('WorkflowType');
  const sbsVersion = get('SbsConsumableVersion');
  const runNumber = get('RunNumber', 'ScanNumber');
  const version = get('ReagentKitVersion');
  return {
    experimentName: get('ExperimentName'),
    instrumentType,
    instrumentId,
    applicationName,
    applicationVersion: get('ApplicationVersion'),
    chemistry: get('Chemistry'),
    rtaVersion: get('RTAVersion', 'RtaVersion'),
    flowcellSerial:
      rfid('FlowCellRfidTag') ?? get('FlowCellSerial', 'Barcode') ?? flowcellFromConsumables(root),
    reagentKitSerial: rfid('ReagentKitRfidTag') ?? get('ReagentKitSerial', 'ReagentKitBarcode'),
    reagentKitVersion: version,
    runNumber:
      runNumber !== undefined && /^\d{1,9}$/.test(runNumber) ? Number(runNumber) : undefined,
    i5Orientation: i5Orientation(instrumentType, workflowType, sbsVersion),
  };
}

function flowcellFromConsumables(root: XmlNode): string | undefined {
  // NextSeq 1000/2000 and NovaSeq X list consumables as <ConsumableInfo> entries.
  const infos = children(child(root, 'ConsumableInfo'), 'ConsumableInfo');
  const fc = infos.find((c) => (text(c, 'Type') ?? '').toLowerCase() === 'flowcell');
  return fc ? text(fc, 'SerialNumber') : undefined;
}

function detectInstrument(
  app: string | undefined,
  id: string | undefined,
  declared: string | undefined,
): string | undefined {
  const a = `${declared ?? ''} ${app ?? ''}`.toLowerCase();
  if (a.includes('miseq')) return 'MiSeq';
  if (a.includes('miniseq')) return 'MiniSeq';
  if (a.includes('nextseq 1000') || a.includes('nextseq 2000') || a.includes('nextseq1k2k'))
    return 'NextSeq 1000/2000';
  if (a.includes('nextseq')) return 'NextSeq';
  if (a.includes('novaseq x')) return 'NovaSeq X';
  if (a.includes('novaseq')) return 'NovaSeq';
  if (a.includes('hiseq')) return 'HiSeq';
  // Serial number prefixes, as Illumina assigns them.
  if (id) {
    if (/^M\d/.test(id)) return 'MiSeq';
    if (/^MN/.test(id)) return 'MiniSeq';
    if (/^N[BS]/.test(id)) return 'NextSeq';
    if (/^VH/.test(id)) return 'NextSeq 1000/2000';
    if (/^A\d/.test(id)) return 'NovaSeq';
    if (/^LH/.test(id)) return 'NovaSeq X';
  }
  return undefined;
}

function i5Orientation(
  instrument: string | undefined,
  workflowType: string | undefined,
  sbsVersion: string | undefined,
): 'A' | 'B' | undefined {
  const wf = (workflowType ?? '').toLowerCase();
  if (wf.includes('novaseqxp') || wf.includes('workflowb')) return 'B';
  if (wf.includes('novaseqstandard') || wf.includes('workflowa')) return 'A';
  if (instrument === 'NovaSeq' && sbsVersion !== undefined) return sbsVersion === '3' ? 'B' : 'A';
  switch (instrument) {
    case 'MiSeq':
    case 'NovaSeq':
      return 'A';
    case 'NextSeq':
    case 'MiniSeq':
    case 'NextSeq 1000/2000':
    case 'NovaSeq X':
      return 'B';
    default:
      return undefined;
  }
}
