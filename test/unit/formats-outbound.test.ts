import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import {
  acknowledgementDates,
  acknowledgementFileName,
  renderAcknowledgement,
  type Acknowledgement,
} from '../../src/formats/acknowledgement.js';
import { cancellationFileName, renderCancellation } from '../../src/formats/cancellation.js';
import { encodeText, type OutboundOptions } from '../../src/formats/delimited.js';
import {
  INVENTORY_COLUMNS,
  inventoryFileName,
  renderInventoryHeader,
  renderInventoryRow,
  type InventoryRow,
} from '../../src/formats/inventory.js';
import { parseOrderFile } from '../../src/formats/order-file.js';
import {
  REFUND_COMMENT,
  renderTracking,
  shipmentDeliveryDate,
  trackingFileName,
  type TrackingLine,
} from '../../src/formats/tracking.js';
import { parseTwoSection } from '../../src/formats/two-section.js';

const EXAMPLES = new URL('../fixtures/edge-examples/', import.meta.url);
const example = (name: string): Buffer => readFileSync(new URL(name, EXAMPLES));
const exampleExists = (name: string): boolean => existsSync(new URL(name, EXAMPLES));

/** The example account: lead time 3 days, handling 0. */
const ACCOUNT = { leadTimeDays: 3, handlingDays: 0 };

/** Line 1 of order Y100012345 as the example shipment sent it. */
const SHIPPED_LINE_1: TrackingLine = {
  lineRef: '1',
  partNumber: '12345678',
  quantity: 2,
  carrier: 'dpd',
  trackingNumber: '15501234567890',
  trackingUrl: 'https://track.dpd.co.uk/parcels/15501234567890',
  dispatchDate: '2026-03-02',
  deliveryDate: shipmentDeliveryDate('2026-03-02', ACCOUNT),
  comment: null,
};

describe('acknowledgement', () => {
  it('writes the example acknowledgement byte for byte, from the example order', () => {
    const order = parseOrderFile(example('order-20260301101500123456.txt'));
    const dates = acknowledgementDates('2026-03-01', ACCOUNT);
    assert.deepEqual(dates, { dispatchDate: '2026-03-01', deliveryDate: '2026-03-04' });
    const ack: Acknowledgement = {
      orderNumber: order.orderNumber ?? '',
      supplierRef: 'JLE-1',
      lines: order.lines.map((line) => ({
        lineRef: line.lineRef,
        partNumber: line.partNumber,
        quantity: line.quantity ?? 0,
        ...dates,
      })),
    };
    const name = acknowledgementFileName('20260301101502000001');
    assert.equal(name, 'order-20260301101502000001.ack');
    assert.ok(exampleExists(`${name}.DONE`));
    assert.deepEqual(renderAcknowledgement(ack), example(name));
  });

  it('adds handling days before the dispatch date and lead time after it', () => {
    assert.deepEqual(acknowledgementDates('2026-02-27', { handlingDays: 2, leadTimeDays: 3 }), {
      dispatchDate: '2026-03-01',
      deliveryDate: '2026-03-04',
    });
  });

  it('follows the account delimiter, line ending and encoding', () => {
    const options: OutboundOptions = { delimiter: ';', lineEnding: '\r\n', encoding: 'latin1' };
    const data = renderAcknowledgement(
      {
        orderNumber: 'Y100012345',
        supplierRef: 'JLE-1',
        lines: [
          {
            lineRef: '1;a',
            partNumber: '12345678',
            quantity: 1,
            dispatchDate: '2026-03-01',
            deliveryDate: '2026-03-04',
          },
        ],
      },
      options,
    );
    assert.deepEqual(
      data,
      Buffer.from(
        'order_number;supplier_ref\r\nY100012345;JLE-1\r\n' +
          'line_ref;part_number;quantity;sub_status;fulfillment_route;supplier_dispatch_date;supplier_delivery_date;comment\r\n' +
          '"1;a";12345678;1;Pending;Direct to Customer;2026-03-01;2026-03-04;\r\n4\r\n',
        'latin1',
      ),
    );
  });
});

describe('tracking', () => {
  it('writes the example shipment byte for byte', () => {
    const name = trackingFileName('20260302143000000001');
    assert.equal(name, 'tracking-20260302143000000001.txt');
    assert.ok(exampleExists(`${name}.DONE`));
    assert.deepEqual(
      renderTracking({ orderNumber: 'Y100012345', supplierRef: 'JLE-1', lines: [SHIPPED_LINE_1] }),
      example(name),
    );
  });

  it('writes the example refund byte for byte', () => {
    const refund = { ...SHIPPED_LINE_1, quantity: 1, comment: REFUND_COMMENT };
    const name = trackingFileName('20260306091500000001');
    assert.ok(exampleExists(`${name}.DONE`));
    assert.deepEqual(
      renderTracking({ orderNumber: 'Y100012345', supplierRef: 'JLE-1', lines: [refund] }),
      example(name),
    );
    assert.equal(REFUND_COMMENT, 'CANCELLED POST-DISPATCH');
  });

  it('lists every line given, each with its own shipment details, and quotes what needs it', () => {
    const second: TrackingLine = {
      lineRef: '2',
      partNumber: '87654321',
      quantity: 1,
      carrier: 'royal-mail',
      trackingNumber: 'RM 123,456',
      trackingUrl: null,
      dispatchDate: '2026-03-03',
      deliveryDate: '2026-03-04',
      comment: null,
    };
    const layout = parseTwoSection(
      renderTracking({ orderNumber: 'Y100012345', supplierRef: 'JLE-1', lines: [SHIPPED_LINE_1, second] }),
    );
    assert.deepEqual(layout.problems, []);
    assert.equal(layout.declaredCount, 5);
    assert.deepEqual(layout.items[1].fields, {
      line_ref: '2',
      part_number: '87654321',
      quantity: '1',
      status: 'Dispatched',
      carrier: 'royal-mail',
      tracking_number: 'RM 123,456',
      tracking_url: '',
      supplier_dispatch_date: '2026-03-03',
      supplier_delivery_date: '2026-03-04',
      comment: '',
    });
  });

  it('computes the default delivery date as dispatch + (lead time - handling), never before dispatch', () => {
    assert.equal(shipmentDeliveryDate('2026-03-02', { leadTimeDays: 3, handlingDays: 1 }), '2026-03-04');
    assert.equal(shipmentDeliveryDate('2026-03-02', { leadTimeDays: 1, handlingDays: 3 }), '2026-03-02');
  });
});

describe('cancellation', () => {
  it('writes the example cancellation byte for byte', () => {
    const name = cancellationFileName('20260301120000000001');
    assert.equal(name, 'cancel-20260301120000000001.ack');
    assert.ok(exampleExists(`${name}.DONE`));
    const data = renderCancellation({
      orderNumber: 'Y100012346',
      supplierRef: 'JLE-2',
      lines: [{ lineRef: '1', partNumber: '12345678', quantity: 1, reason: 'Out of stock', comment: null }],
    });
    assert.deepEqual(data, example(name));
  });

  it('quotes a reason holding a comma or a quote', () => {
    const data = renderCancellation({
      orderNumber: 'Y100012346',
      supplierRef: 'JLE-2',
      lines: [
        {
          lineRef: '1',
          partNumber: '12345678',
          quantity: 2,
          reason: 'Damaged, "beyond repair"',
          comment: 'see ticket 7',
        },
      ],
    });
    assert.equal(
      data.toString('utf8'),
      'order_number,supplier_ref\nY100012346,JLE-2\nline_ref,part_number,quantity,reason,comment\n1,12345678,2,"Damaged, ""beyond repair""",see ticket 7\n4\n',
    );
  });

  it('refuses a quantity that is not a whole number', () => {
    assert.throws(
      () =>
        renderCancellation({
          orderNumber: 'Y100012346',
          supplierRef: 'JLE-2',
          lines: [{ lineRef: '1', partNumber: '12345678', quantity: 1.5, reason: 'x', comment: null }],
        }),
      /quantity must be a whole number/,
    );
  });
});

describe('inventory', () => {
  const render = (rows: InventoryRow[]): Buffer =>
    encodeText(renderInventoryHeader() + rows.map((row) => renderInventoryRow(row)).join(''), 'utf-8');

  it('writes the example inventory byte for byte', () => {
    const name = inventoryFileName('20260301101500000001');
    assert.equal(name, 'inventory-20260301101500000001.csv');
    assert.equal(exampleExists(`${name}.DONE`), false, 'inventory files have no marker');
    const data = render([
      { partNumber: '12345678', tradedCode: null, leadTimeDays: 3, stock: 10 },
      { partNumber: '87654321', tradedCode: null, leadTimeDays: 5, stock: 0 },
    ]);
    assert.deepEqual(data, example(name));
  });

  it('has the SPEC §4.6 columns', () => {
    assert.deepEqual(INVENTORY_COLUMNS, [
      'part_number',
      'tradedCode',
      'current_lead_time_to_delivery_in_days',
      'free_stock',
    ]);
  });

  it('sends negative stock as 0 and cuts a traded code to 20 characters', () => {
    assert.equal(
      renderInventoryRow({ partNumber: '12345678', tradedCode: 'SKU-1', leadTimeDays: 2, stock: -4 }),
      '12345678,SKU-1,2,0\n',
    );
    assert.equal(
      renderInventoryRow({ partNumber: '12345678', tradedCode: 'ABCDEFGHIJKLMNOPQRS😀TUV', leadTimeDays: 2, stock: 1 }),
      '12345678,ABCDEFGHIJKLMNOPQRS😀,2,1\n',
    );
  });

  it('quotes a traded code holding the delimiter and follows the account options', () => {
    const options: OutboundOptions = { delimiter: '|', lineEnding: '\r\n', encoding: 'utf-8' };
    assert.equal(
      renderInventoryHeader(options),
      'part_number|tradedCode|current_lead_time_to_delivery_in_days|free_stock\r\n',
    );
    assert.equal(
      renderInventoryRow({ partNumber: '12345678', tradedCode: 'A|B', leadTimeDays: 0, stock: 7 }, options),
      '12345678|"A|B"|0|7\r\n',
    );
  });
});

describe('outbound file names', () => {
  it('refuse a token that is not 20 digits', () => {
    for (const makeName of [acknowledgementFileName, trackingFileName, cancellationFileName, inventoryFileName]) {
      assert.throws(() => makeName('2026030112000000000'), RangeError);
      assert.throws(() => makeName('../../etc/passwd000'), RangeError);
    }
  });
});
