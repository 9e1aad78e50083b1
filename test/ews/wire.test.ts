import { describe, expect, it } from 'vitest';
import {
  attr,
  child,
  children,
  readEnvelope,
  responseError,
  responseMessages,
  text,
} from '../../connectors/ews/soap.ts';

/**
 * The connector's reading of EWS answers in the shapes Microsoft documents, independent of the
 * simulator: a default-namespace GetEvents response (as in the GetEvents operation reference), an
 * error response message, and the throttling fault with BackOffMilliseconds in MessageXml.
 */
const GET_EVENTS = `<?xml version="1.0" encoding="utf-8" ?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <soap:Header><t:ServerVersionInfo MajorVersion="15" MinorVersion="2" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" /></soap:Header>
  <soap:Body>
    <GetEventsResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns="http://schemas.microsoft.com/exchange/services/2006/messages">
      <m:ResponseMessages>
        <m:GetEventsResponseMessage ResponseClass="Success">
          <m:ResponseCode>NoError</m:ResponseCode>
          <m:Notification>
            <t:SubscriptionId>sub-1</t:SubscriptionId>
            <t:PreviousWatermark>AAAA1==</t:PreviousWatermark>
            <t:MoreEvents>false</t:MoreEvents>
            <t:NewMailEvent>
              <t:Watermark>AAAA2==</t:Watermark>
              <t:TimeStamp>2030-01-07T09:00:00Z</t:TimeStamp>
              <t:ItemId Id="item-1" ChangeKey="CQAAAA==" />
              <t:ParentFolderId Id="inbox-1" ChangeKey="AQAAAA==" />
            </t:NewMailEvent>
          </m:Notification>
        </m:GetEventsResponseMessage>
      </m:ResponseMessages>
    </GetEventsResponse>
  </soap:Body>
</soap:Envelope>`;

const BUSY_FAULT = `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>
<faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring>
<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode>
<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message>
<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">297749</t:Value></t:MessageXml>
</detail></s:Fault></s:Body></s:Envelope>`;

describe('EWS wire format (documented shapes)', () => {
  it('reads a pretty-printed, default-namespace GetEvents response', () => {
    const parsed = readEnvelope(GET_EVENTS);
    if (!('body' in parsed)) throw new Error('expected a body');
    const [message] = responseMessages(parsed.body, 'GetEvents');
    expect(responseError(message!)).toBeNull();
    const notification = child(message, 'Notification');
    expect(text(notification, 'MoreEvents')).toBe('false');
    const [event] = children(notification, 'NewMailEvent');
    expect(text(event, 'Watermark')).toBe('AAAA2==');
    expect(attr(child(event, 'ItemId'), 'Id')).toBe('item-1');
    expect(attr(child(event, 'ParentFolderId'), 'Id')).toBe('inbox-1');
  });

  it('reads the throttling fault with its back-off', () => {
    const parsed = readEnvelope(BUSY_FAULT);
    expect(parsed).toEqual({
      fault: {
        fault: true,
        code: 'ErrorServerBusy',
        message: 'The server cannot service this request right now. Try again later.',
        values: { BackOffMilliseconds: '297749' },
      },
    });
  });

  it('reads an error response message (ResponseClass Error) with its code and text', () => {
    const xml = GET_EVENTS.replace('ResponseClass="Success"', 'ResponseClass="Error"').replace(
      '<m:ResponseCode>NoError</m:ResponseCode>',
      '<m:MessageText>Access is denied.</m:MessageText><m:ResponseCode>ErrorSubscriptionAccessDenied</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>',
    );
    const parsed = readEnvelope(xml);
    if (!('body' in parsed)) throw new Error('expected a body');
    expect(responseError(responseMessages(parsed.body, 'GetEvents')[0]!)).toEqual({
      code: 'ErrorSubscriptionAccessDenied',
      message: 'Access is denied.',
      values: {},
    });
  });
});
