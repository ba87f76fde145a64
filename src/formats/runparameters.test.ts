import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FormatError } from './format-error.js';
import { parseRunParameters } from './runparameters.js';

const F = 'test/fixtures/runs/';

describe('parseRunParameters', () => {
  it('reads a MiSeq runParameters.xml', () => {
    const p = parseRunParameters(readFileSync(F + 'miseq-130417/runParameters.xml', 'utf8'));
    expect(p).toMatchObject({
      experimentName: 'Experiment_1',
      instrumentType: 'MiSeq',
      instrumentId: 'M00146',
      applicationName: 'MiSeq Control Software',
      rtaVersion: '1.17.28',
      flowcellSerial: '000000000-A2WDF',
      reagentKitSerial: 'MS2009033-300V2',
      reagentKitVersion: 'Version2',
      runNumber: 20,
      i5Orientation: 'A',
    });
  });

  it('reads a NextSeq 500 RunParameters.xml', () => {
    const p = parseRunParameters(readFileSync(F + 'nextseq-170609/RunParameters.xml', 'utf8'));
    expect(p).toMatchObject({
      experimentName: '170609_HLFFJBGX2',
      instrumentType: 'NextSeq',
      instrumentId: 'NB551051',
      chemistry: 'NextSeq High',
      rtaVersion: '2.4.11',
      flowcellSerial: 'HLFFJBGX2',
      reagentKitSerial: 'NS2641105-REAGT',
      runNumber: 17,
      i5Orientation: 'B',
    });
  });

  it('reads NovaSeq and HiSeq shapes (hand-made from their documented elements)', () => {
    const nova = parseRunParameters(`<?xml version="1.0"?><RunParameters>
      <ExperimentName>NV0183</ExperimentName><Application>NovaSeq Control Software</Application>
      <InstrumentName>A00834</InstrumentName><RtaVersion>v3.4.4</RtaVersion>
      <WorkflowType>NovaSeqXp</WorkflowType><SbsConsumableVersion>3</SbsConsumableVersion>
      <RfidsInfo><FlowCellSerialBarcode>HMTFYDRXX</FlowCellSerialBarcode></RfidsInfo>
    </RunParameters>`);
    expect(nova).toMatchObject({
      experimentName: 'NV0183',
      instrumentType: 'NovaSeq',
      rtaVersion: 'v3.4.4',
      i5Orientation: 'B',
    });
    const hiseq =
      parseRunParameters(`<RunParameters><Setup><ApplicationName>HiSeq Control Software</ApplicationName>
      <ExperimentName>HS1</ExperimentName><ScannerID>SN7001</ScannerID><RTAVersion>1.18.64</RTAVersion>
      <ReagentKits><Sbs><SbsReagentKit><ID>x</ID></SbsReagentKit></Sbs></ReagentKits></Setup></RunParameters>`);
    expect(hiseq).toMatchObject({
      experimentName: 'HS1',
      instrumentType: 'HiSeq',
      rtaVersion: '1.18.64',
    });
    expect(hiseq.i5Orientation).toBeUndefined();
  });

  it('refuses a file that is not RunParameters', () => {
    expect(() => parseRunParameters('<RunInfo/>')).toThrow(/no <RunParameters>/);
    expect(() => parseRunParameters('<RunParameters>\n<a>')).toThrow(/not well-formed XML.*line/);
    expect(() => parseRunParameters('<RunParameters/><?x')).toThrow(FormatError);
  });
});
